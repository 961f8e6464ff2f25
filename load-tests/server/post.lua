-- wrk script: each request a POST with a 1 KiB body (for /upload).
wrk.method = "POST"
wrk.body = string.rep("0123456789abcdef", 64)
wrk.headers["Content-Type"] = "application/octet-stream"
