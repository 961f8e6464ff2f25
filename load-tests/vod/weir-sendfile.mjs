// The weir JS side of the file-serving benchmark: every request goes through
// sendFile (Range, HEAD, ETag, 206/304/416 handled natively) under $VOD_ROOT.
import { sendFile } from 'weir';

export default (req, res) => sendFile(req, res, new URL(req.url, 'http://x').pathname, { root: process.env.VOD_ROOT });
