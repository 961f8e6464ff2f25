-- wrk script: the request fields a desktop browser sends with a page request.
-- usage: wrk -t1 -c64 -d5s -s load-tests/server/browser-fields.lua http://127.0.0.1:8080/hello
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
wrk.headers["Accept-Language"] = "en-US,en;q=0.9"
wrk.headers["Accept-Encoding"] = "gzip, deflate, br"
wrk.headers["Sec-Ch-Ua"] = "\"Chromium\";v=\"120\""
wrk.headers["Sec-Ch-Ua-Mobile"] = "?0"
wrk.headers["Sec-Ch-Ua-Platform"] = "\"Linux\""
wrk.headers["Sec-Fetch-Dest"] = "document"
wrk.headers["Sec-Fetch-Mode"] = "navigate"
wrk.headers["Sec-Fetch-Site"] = "none"
wrk.headers["Upgrade-Insecure-Requests"] = "1"
wrk.headers["Cookie"] = "session=abc123; theme=dark"
