//! Content types by file extension, with the media types a streaming server serves.

/// The `Content-Type` for a file name (by its extension), defaulting to
/// `application/octet-stream`.
pub fn content_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "mp4" | "m4v" => "video/mp4",
        "m4s" => "video/iso.segment",
        "m4a" => "audio/mp4",
        "mov" => "video/quicktime",
        "ts" => "video/mp2t",
        "m3u8" => "application/vnd.apple.mpegurl",
        "mpd" => "application/dash+xml",
        "webm" => "video/webm",
        "mkv" => "video/x-matroska",
        "mp3" => "audio/mpeg",
        "aac" => "audio/aac",
        "ogg" => "audio/ogg",
        "oga" => "audio/ogg",
        "ogv" => "video/ogg",
        "opus" => "audio/opus",
        "flac" => "audio/flac",
        "wav" => "audio/wav",
        "vtt" => "text/vtt; charset=utf-8",
        "srt" => "application/x-subrip",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn media_extensions_get_their_types() {
        assert_eq!(content_type("a/b/video.MP4"), "video/mp4");
        assert_eq!(content_type("seg-1.m4s"), "video/iso.segment");
        assert_eq!(content_type("live.m3u8"), "application/vnd.apple.mpegurl");
        assert_eq!(content_type("x.ts"), "video/mp2t");
        assert_eq!(content_type("manifest.mpd"), "application/dash+xml");
        assert_eq!(content_type("subs.vtt"), "text/vtt; charset=utf-8");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }

    /// Every extension a media server is asked for, with the type browsers and players
    /// expect (as in nginx's `mime.types` where it has one).
    #[test]
    fn every_media_extension_has_its_type() {
        for (ext, want) in [
            ("mp4", "video/mp4"),
            ("m4s", "video/iso.segment"),
            ("m4a", "audio/mp4"),
            ("m4v", "video/mp4"),
            ("mov", "video/quicktime"),
            ("ts", "video/mp2t"),
            ("m3u8", "application/vnd.apple.mpegurl"),
            ("mpd", "application/dash+xml"),
            ("webm", "video/webm"),
            ("mkv", "video/x-matroska"),
            ("mp3", "audio/mpeg"),
            ("aac", "audio/aac"),
            ("ogg", "audio/ogg"),
            ("oga", "audio/ogg"),
            ("opus", "audio/opus"),
            ("flac", "audio/flac"),
            ("wav", "audio/wav"),
            ("vtt", "text/vtt; charset=utf-8"),
            ("srt", "application/x-subrip"),
            ("jpg", "image/jpeg"),
            ("png", "image/png"),
            ("json", "application/json"),
            ("html", "text/html; charset=utf-8"),
            ("js", "text/javascript; charset=utf-8"),
            ("css", "text/css; charset=utf-8"),
        ] {
            assert_eq!(content_type(&format!("media/file.{ext}")), want, "{ext}");
            let upper = format!("FILE.{}", ext.to_ascii_uppercase());
            assert_eq!(content_type(&upper), want, "{upper}");
        }
        // The extension is what follows the last dot of the name, not of a folder.
        assert_eq!(content_type("v1.0/readme"), "application/octet-stream");
        assert_eq!(content_type("clip.mp4.part"), "application/octet-stream");
    }
}
