#!/usr/bin/env bash
# Generates weir's sample media with ffmpeg (testsrc2 test pattern + a sine tone).
#
#   media-samples/generate.sh              (re)make the small committed samples and SHA256SUMS
#   media-samples/generate.sh --check      ffprobe and decode every committed sample, verify SHA256SUMS
#   media-samples/generate.sh --large DIR  make large benchmark files in DIR (never commit them):
#                                          big.mp4 (1 GiB) and seg-000.m4s ... seg-063.m4s (2 MiB each)
#
# Idempotent: every run rebuilds the same set of files from scratch (bit-exact flags, one
# encoder thread), so with the same ffmpeg build the output and SHA256SUMS do not change.
# Needs: ffmpeg and ffprobe (Debian package ffmpeg), coreutils.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

# Sample parameters.
DURATION=10        # seconds (video and most audio)
SIZE=640x360
FPS=30
GOP=$FPS           # one keyframe per second, so a player can seek anywhere quickly
WAV_DURATION=3     # seconds, mono, 8 kHz: ~48 KB

# Large benchmark files (--large); overridable from the environment.
BIG_BYTES=${BIG_BYTES:-1073741824}        # 1 GiB
SEG_COUNT=${SEG_COUNT:-64}
SEG_BYTES=${SEG_BYTES:-2097152}           # 2 MiB

# Everything that is generated (and listed in SHA256SUMS), relative to media-samples/.
OUTPUTS=(video fmp4 hls audio index.html)

die() { echo "generate.sh: $*" >&2; exit 1; }

need_tools() {
  command -v ffmpeg >/dev/null || die "ffmpeg not found (Debian: apt-get install ffmpeg)"
  command -v ffprobe >/dev/null || die "ffprobe not found (Debian: apt-get install ffmpeg)"
}

# ffmpeg with the flags that make its output reproducible: no version strings, no creation
# times, no random stream serials or segment UIDs, no metadata copied from the input.
ff() {
  ffmpeg -hide_banner -loglevel error -nostdin -y "$@"
}
BITEXACT=(-map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact)

video_in() {
  echo -f lavfi -i "testsrc2=size=$SIZE:rate=$FPS:duration=$1"
}
audio_in() { # audio_in <seconds> <rate> <channel layout>
  echo -f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=$2:duration=$1,aformat=channel_layouts=$3"
}

generate() {
  need_tools
  local tmp
  tmp=$(mktemp -d "$here/.generate.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/video" "$tmp/fmp4" "$tmp/hls" "$tmp/audio"

  # H.264 (High, yuv420p) + AAC-LC, moov before mdat, closed 1 s GOPs, no scene-cut keyframes.
  # shellcheck disable=SC2046
  ff $(video_in $DURATION) $(audio_in $DURATION 48000 stereo) \
    -c:v libx264 -preset medium -profile:v high -pix_fmt yuv420p -threads 1 \
    -b:v 250k -maxrate 400k -bufsize 800k \
    -g $GOP -keyint_min $GOP -sc_threshold 0 -x264-params open-gop=0 \
    -c:a aac -b:a 64k -ac 2 \
    -movflags +faststart "${BITEXACT[@]}" "$tmp/video/sample.mp4"

  # Fragmented MP4 (CMAF-style) with a DASH manifest: one init segment and 2 s media
  # segments per track, video and audio in separate adaptation sets, each described by an exact
  # SegmentTimeline (the AAC track runs a few ms past 10 s into a short 6th segment). Remuxed.
  # shellcheck disable=SC2016  # $RepresentationID$ and $Number$ are the dash muxer's templates
  ( cd "$tmp/fmp4" && ff -i ../video/sample.mp4 -map 0:v -map 0:a -c copy \
      -f dash -seg_duration 2 -use_template 1 -use_timeline 1 \
      -adaptation_sets "id=0,streams=v id=1,streams=a" \
      -init_seg_name 'init-$RepresentationID$.m4s' \
      -media_seg_name 'chunk-$RepresentationID$-$Number%05d$.m4s' \
      "${BITEXACT[@]}" manifest.mpd )

  # HLS: VOD playlist + 2 s MPEG-TS segments (cut on the 1 s keyframes).
  ff -i "$tmp/video/sample.mp4" -map 0:v -map 0:a -c copy -bsf:v h264_mp4toannexb \
    -f hls -hls_time 2 -hls_playlist_type vod -hls_list_size 0 \
    -hls_segment_filename "$tmp/hls/seg-%03d.ts" \
    "${BITEXACT[@]}" "$tmp/hls/playlist.m3u8"

  # WebM: VP9 + Opus.
  # shellcheck disable=SC2046
  ff $(video_in $DURATION) $(audio_in $DURATION 48000 stereo) \
    -c:v libvpx-vp9 -b:v 200k -deadline good -cpu-used 4 -row-mt 0 -threads 1 -pix_fmt yuv420p \
    -g $GOP -keyint_min $GOP \
    -c:a libopus -b:a 64k \
    "${BITEXACT[@]}" "$tmp/video/sample.webm"

  # Audio-only samples.
  # shellcheck disable=SC2046
  ff $(audio_in $DURATION 44100 stereo) -c:a libmp3lame -b:a 64k -write_xing 1 -id3v2_version 0 \
    "${BITEXACT[@]}" "$tmp/audio/sample.mp3"
  # shellcheck disable=SC2046
  ff $(audio_in $DURATION 44100 stereo) -c:a aac -b:a 64k -f adts \
    "${BITEXACT[@]}" "$tmp/audio/sample.aac"
  # shellcheck disable=SC2046
  ff $(audio_in $DURATION 48000 stereo) -c:a libopus -b:a 48k -f ogg \
    "${BITEXACT[@]}" "$tmp/audio/sample.opus"
  # shellcheck disable=SC2046
  ff $(audio_in $WAV_DURATION 8000 mono) -c:a pcm_s16le -f wav \
    "${BITEXACT[@]}" "$tmp/audio/sample.wav"

  write_index_html > "$tmp/index.html"

  # Replace the previous output as a whole (stale segments from older settings go away).
  local o
  for o in "${OUTPUTS[@]}"; do
    rm -rf "${here:?}/$o"
    mv "$tmp/$o" "$here/$o"
  done
  rm -rf "$tmp"
  trap - EXIT

  find "${OUTPUTS[@]}" -type f | LC_ALL=C sort | xargs sha256sum > SHA256SUMS
  echo "media-samples: $(wc -l < SHA256SUMS) files, $(du -cb "${OUTPUTS[@]}" | tail -1 | cut -f1) bytes ($(ffmpeg -version | head -1 | cut -d' ' -f1-3))"
}

write_index_html() {
  cat <<'EOF'
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>weir media samples</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 720px; margin: 2em auto; padding: 0 1em; }
  video { width: 100%; height: auto; background: #000; }
</style>
</head>
<body>
<h1>weir media samples</h1>
<video src="video/sample.mp4" controls muted playsinline preload="auto" width="640" height="360"></video>
<p>H.264 + AAC, 10 s, 640x360, a keyframe every second: seek anywhere with the controls.</p>
<h2>Files</h2>
<ul>
  <li><a href="video/sample.mp4">video/sample.mp4</a> (H.264 + AAC, progressive, moov first)</li>
  <li><a href="video/sample.webm">video/sample.webm</a> (VP9 + Opus)</li>
  <li><a href="fmp4/manifest.mpd">fmp4/manifest.mpd</a> (DASH, fragmented MP4 segments)</li>
  <li><a href="hls/playlist.m3u8">hls/playlist.m3u8</a> (HLS, MPEG-TS segments)</li>
  <li><a href="audio/sample.mp3">audio/sample.mp3</a>,
      <a href="audio/sample.aac">audio/sample.aac</a> (ADTS),
      <a href="audio/sample.opus">audio/sample.opus</a> (Ogg Opus),
      <a href="audio/sample.wav">audio/sample.wav</a> (PCM, mono, 8 kHz)</li>
</ul>
</body>
</html>
EOF
}

# ffprobe each playable sample (the DASH manifest stands for its segments, the HLS playlist
# for its .ts files), decode it to the end with errors fatal, check that sample.mp4 has its
# moov before the media data and a keyframe every second, and verify SHA256SUMS.
check() {
  need_tools
  [[ -f SHA256SUMS ]] || die "SHA256SUMS missing: run generate.sh first"
  local f fail=0 codecs duration
  for f in video/sample.mp4 video/sample.webm fmp4/manifest.mpd hls/playlist.m3u8 \
           audio/sample.mp3 audio/sample.aac audio/sample.opus audio/sample.wav; do
    # Absolute paths: ffmpeg 5.1's DASH demuxer resolves segment names against the current
    # directory when it is given a relative manifest path.
    if codecs=$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$here/$f" | grep . | sort -u | paste -sd+) &&
       duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$here/$f") &&
       ffmpeg -hide_banner -v error -nostdin -xerror -i "$here/$f" -f null - ; then
      echo "ok   $f: $codecs, ${duration} s"
    else
      echo "FAIL $f" >&2; fail=1
    fi
  done
  local head
  head=$(head -c 64 video/sample.mp4 | LC_ALL=C tr -c '[:lower:]' '.')
  if [[ $head == *moov* ]]; then echo "ok   video/sample.mp4: moov first (faststart)"
  else echo "FAIL video/sample.mp4: moov is not at the start" >&2; fail=1; fi
  local keys
  keys=$(ffprobe -v error -select_streams v -show_entries packet=pts_time,flags -of csv=p=0 video/sample.mp4 |
         awk -F, '$2 ~ /K/ { printf "%s%d", sep, $1; sep = " " }')
  if [[ $keys == "0 1 2 3 4 5 6 7 8 9" ]]; then echo "ok   video/sample.mp4: keyframes at $keys s"
  else echo "FAIL video/sample.mp4: keyframes at '$keys', want one per second" >&2; fail=1; fi
  if sha256sum --quiet -c SHA256SUMS; then echo "ok   SHA256SUMS ($(wc -l < SHA256SUMS) files)"
  else fail=1; fi
  ((fail == 0)) || die "check failed"
}

# Large benchmark files, made from the committed sample so they need no long encode:
#   big.mp4      sample.mp4 followed by a top-level ISO BMFF 'free' box that pads the file to
#                exactly BIG_BYTES. Players skip 'free' boxes, so it still plays as the 10 s
#                sample; the padding is real data (repeated sample bytes), not a sparse hole.
#   seg-NNN.m4s  SEG_COUNT files of SEG_BYTES each, consecutive slices of big.mp4's padding.
# Files that already exist with the right size are kept.
large() {
  local dir=$1 sample=$here/video/sample.mp4
  [[ -f $sample ]] || die "$sample missing: run generate.sh first"
  mkdir -p "$dir"
  local big=$dir/big.mp4 have
  have=$(stat -c %s "$big" 2>/dev/null || echo 0)
  if [[ $have != "$BIG_BYTES" ]]; then
    local s pad chunk=$dir/.chunk.$$ part=$big.part.$$ written
    s=$(stat -c %s "$sample")
    pad=$((BIG_BYTES - s))
    ((pad >= 8 && pad < 4294967296)) || die "BIG_BYTES must leave room for a 32-bit 'free' box after the sample"
    # A ~64 MiB chunk of repeated sample bytes, then as many chunks as needed, cut to size.
    : > "$chunk"
    while (( $(stat -c %s "$chunk") < 67108864 )); do cat "$sample" >> "$chunk"; done
    {
      cat "$sample"
      # shellcheck disable=SC2059
      printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((pad >> 24 & 255)) $((pad >> 16 & 255)) $((pad >> 8 & 255)) $((pad & 255)))free"
      written=$((s + 8))
      while ((written < BIG_BYTES)); do cat "$chunk"; written=$((written + $(stat -c %s "$chunk"))); done
    } > "$part"
    truncate -s "$BIG_BYTES" "$part"
    rm -f "$chunk"
    mv "$part" "$big"
  fi
  local i name
  for ((i = 0; i < SEG_COUNT; i++)); do
    printf -v name '%s/seg-%03d.m4s' "$dir" "$i"
    [[ $(stat -c %s "$name" 2>/dev/null || echo 0) == "$SEG_BYTES" ]] && continue
    # Skip the first MiB (the sample itself) so that the segments are slices of the padding.
    dd if="$big" of="$name.part" iflag=skip_bytes,count_bytes skip=$((1048576 + i * SEG_BYTES)) \
       count="$SEG_BYTES" bs=1M status=none
    mv "$name.part" "$name"
  done
  echo "large files in $dir: big.mp4 ($BIG_BYTES bytes), $SEG_COUNT x seg-NNN.m4s ($SEG_BYTES bytes each)"
}

case "${1:-}" in
  "") generate ;;
  --check) check ;;
  --large) [[ -n "${2:-}" ]] || die "usage: generate.sh --large DIR"; large "$2" ;;
  -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown option '$1' (see --help)" ;;
esac
