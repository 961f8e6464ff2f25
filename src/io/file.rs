//! Reading files for responses, off the worker's thread: with io_uring where the
//! kernel allows it (one ring per worker, driven by the worker's own tokio loop, see
//! `uring.rs`), otherwise with `pread` on tokio's blocking pool, after a try at
//! copying what the page cache holds on the worker's thread (`RWF_NOWAIT`, which
//! never waits for the disk). Both paths read
//! into the same pool of reusable buffers and hand the bytes on as `Bytes` without a
//! copy; the last `Bytes` dropped, on whatever thread, returns its buffer.
//!
//! Files served from a root directory are opened with [`FileReader::open_beneath`]:
//! `openat2(2)` with `RESOLVE_BENEATH` against the root's descriptor, so the kernel
//! itself keeps the open under the root, symbolic links included, in one system call
//! on the worker's thread (or through its ring) rather than a `realpath` and a trip
//! through the blocking pool.
//!
//! What this module must not do: free or reuse memory the kernel may still write
//! into. A read future that is dropped (its client went away) gives its buffer up
//! only when the read's completion arrives. It must not end a file range short as if
//! it were complete either: a file that shrinks under [`FileSource`] is an error.
//! It knows nothing of HTTP (ranges, validators and headers are the caller's), and
//! holds no `unsafe` code: that lives in the driver.

#![forbid(unsafe_code)]

use super::uring::{clear_nonblocking, openat2, Buf, Driver, Pool, UringRead};
use super::{ByteSource, LocalFuture};
use bytes::Bytes;
use std::cell::{Cell, RefCell};
use std::ffi::CString;
use std::fmt;
use std::fs::File;
use std::future::Future;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::SystemTime;

pub use super::uring::probe;

/// Size of a read buffer unless the caller picks another.
pub const DEFAULT_BUFFER_SIZE: usize = 256 * 1024;
/// Buffers per worker unless the caller picks another (8 MiB of 256 KiB buffers).
/// The ring registers them only within RLIMIT_MEMLOCK (or with CAP_IPC_LOCK); that
/// limit is per user, shared by every worker, and often 8 MiB, so a server not run as
/// root needs it raised (`LimitMEMLOCK=`) for every worker to use registered buffers.
/// Without registration reads still use the pool, with a plain `Read`.
pub const DEFAULT_POOL_SIZE: usize = 32;
/// Largest buffer the kernel registers (and a read's length fits a `u32`).
const MAX_BUFFER_SIZE: usize = 1 << 30;
/// How often the thread-pool path retries EINTR or EAGAIN before returning it.
const MAX_RETRIES: u32 = 64;

/// Which path file reads take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoMode {
    /// io_uring, one ring per worker thread.
    Uring,
    /// `pread` on tokio's blocking pool, for what the page cache does not hold
    /// (`RWF_NOWAIT` reads copy the rest on the worker's thread).
    Threads,
}

impl IoMode {
    /// The mode `WEIR_IO` names (`uring` or `threads`), else `default`.
    pub fn from_env_or(default: IoMode) -> IoMode {
        match std::env::var("WEIR_IO") {
            Ok(v) => v.parse().unwrap_or_else(|()| {
                tracing::warn!(
                    "WEIR_IO={v:?} is neither \"uring\" nor \"threads\"; using {default}"
                );
                default
            }),
            Err(_) => default,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IoMode::Uring => "uring",
            IoMode::Threads => "threads",
        }
    }
}

impl std::str::FromStr for IoMode {
    type Err = ();
    fn from_str(s: &str) -> Result<IoMode, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "uring" | "io_uring" | "io-uring" => Ok(IoMode::Uring),
            "threads" | "thread" | "blocking" => Ok(IoMode::Threads),
            _ => Err(()),
        }
    }
}

impl fmt::Display for IoMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The probe's verdict, taken once per process.
fn probed() -> &'static Result<(), String> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    PROBE.get_or_init(probe)
}

/// Says once per process that reads fall back to threads, and why.
fn warn_fallback(reason: &str) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "io_uring is unavailable, file reads use the blocking thread pool: {reason}"
        );
    }
}

// ---------------------------------------------------------------------------
// Files and reads.

/// An open file and what was true of it when opened.
#[derive(Debug)]
pub struct OpenFile {
    pub file: Arc<File>,
    pub size: u64,
    pub mtime: SystemTime,
    pub inode: u64,
}

/// A directory files are opened under with [`FileReader::open_beneath`]: its
/// descriptor (`O_PATH`, so it grants nothing by itself) and its path, for messages
/// and for kernels without `openat2`. Open it once (at start-up) and share it: clones
/// share the descriptor.
#[derive(Clone, Debug)]
pub struct RootDir {
    fd: Arc<OwnedFd>,
    path: PathBuf,
    /// The root's path with symbolic links resolved, when it was opened: what a path
    /// resolved by name must start with.
    real: PathBuf,
    access: Access,
}

/// How opens under a root stay under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// `openat2` with `RESOLVE_BENEATH`: the kernel checks.
    Beneath,
    /// The kernel has no `openat2`: canonicalize, compare, then open.
    ByPath,
}

impl RootDir {
    /// Opens the directory at `path`. Blocking (a few system calls); call it at
    /// start-up or once per root. Fails if `path` is missing or not a directory.
    pub fn open(path: &Path) -> io::Result<RootDir> {
        let c = c_path(path)?;
        let dir_flags = (libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) as u64;
        let (fd, access) = match openat2(None, &c, dir_flags, 0) {
            Ok(fd) => (fd, Access::Beneath),
            // No openat2 (before 5.6), or a seccomp profile that refuses the calls it
            // does not know, with ENOSYS or (older Docker) EPERM. If a plain open works,
            // it was openat2 that was refused.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {
                let dir = std::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_PATH | libc::O_DIRECTORY)
                    .open(path)?;
                warn_no_openat2(&e);
                (OwnedFd::from(dir), Access::ByPath)
            }
            Err(e) => return Err(e),
        };
        let real = std::fs::canonicalize(path)?;
        Ok(RootDir {
            fd: Arc::new(fd),
            path: path.to_owned(),
            real,
            access,
        })
    }

    /// The path the root was opened with.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What [`FileReader::open_beneath`] found.
#[derive(Debug)]
pub enum Opened {
    /// A regular file, open for reading.
    File(Rc<OpenFile>),
    /// A directory. It is not kept open.
    Directory,
}

impl Opened {
    /// The file, or an `IsADirectory` error for a directory (what
    /// [`FileReader::open`] answers).
    pub fn into_file(self) -> io::Result<Rc<OpenFile>> {
        match self {
            Opened::File(file) => Ok(file),
            Opened::Directory => Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            )),
        }
    }
}

/// How files are opened for reading. Non-blocking, so that a FIFO does not wait for a
/// writer; cleared once the file is known to be regular.
const READ_FLAGS: u64 = (libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NONBLOCK) as u64;
/// How paths under a root are resolved.
const RESOLVE_FLAGS: u64 = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS;

/// Whether the kernel takes `RESOLVE_CACHED` (5.12): not known yet, yes, or no.
static CACHED_LOOKUPS: AtomicU8 = AtomicU8::new(CACHED_UNKNOWN);
const CACHED_UNKNOWN: u8 = 0;
const CACHED_WORKS: u8 = 1;
const CACHED_REFUSED: u8 = 2;

/// Says once per process that opens under a root check paths by name.
fn warn_no_openat2(e: &io::Error) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "openat2 is unavailable ({e}): files under a root are confined by resolving \
             their paths first, which costs more and is only as safe as the root's \
             contents are stable (Linux 5.6 and later confine in the kernel)"
        );
    }
}

/// `path` for a system call.
fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL in the path"))
}

/// The outcome of an open, from the file and its metadata.
fn opened(file: File, meta: std::fs::Metadata) -> io::Result<Opened> {
    if meta.is_dir() {
        return Ok(Opened::Directory);
    }
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    clear_nonblocking(&file)?;
    Ok(Opened::File(Rc::new(OpenFile {
        file: Arc::new(file),
        size: meta.len(),
        mtime: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        inode: meta.ino(),
    })))
}

/// An open's error as [`FileReader::open_beneath`] reports it: leaving the root and
/// symbolic link loops are `PermissionDenied`, a missing or non-directory component
/// (or a name too long to exist) `NotFound`.
fn beneath_error(e: io::Error, root: &RootDir, rel: &Path) -> io::Error {
    let kind = match e.raw_os_error() {
        Some(libc::EXDEV | libc::ELOOP) => io::ErrorKind::PermissionDenied,
        Some(libc::ENOENT | libc::ENOTDIR | libc::ENAMETOOLONG) => io::ErrorKind::NotFound,
        _ => return e,
    };
    let what = match e.raw_os_error() {
        Some(libc::EXDEV) => "leaves the root".to_string(),
        Some(libc::ELOOP) => "leaves the root or loops".to_string(),
        _ => e.to_string(),
    };
    io::Error::new(
        kind,
        format!("{} under {}: {what}", rel.display(), root.path.display()),
    )
}

/// Opens `rel` under `root` by its real path: canonicalizes it, refuses it unless it
/// is under the root's real path, then opens what is left of it below the root
/// through the root's descriptor, refusing symbolic links (there are none in a real
/// path, unless one was swapped in since). Blocking.
fn open_by_real_path(root: &RootDir, rel: &Path) -> io::Result<OwnedFd> {
    let fail = |e: io::Error| beneath_error(e, root, rel);
    let real = std::fs::canonicalize(root.real.join(rel)).map_err(fail)?;
    let Ok(inside) = real.strip_prefix(&root.real) else {
        return Err(fail(io::Error::from_raw_os_error(libc::EXDEV)));
    };
    match root.access {
        Access::Beneath => {
            let inside = if inside.as_os_str().is_empty() {
                Path::new(".")
            } else {
                inside
            };
            let path = c_path(inside)?;
            let resolve = RESOLVE_FLAGS | libc::RESOLVE_NO_SYMLINKS;
            openat2(Some(root.fd.as_fd()), &path, READ_FLAGS, resolve).map_err(fail)
        }
        Access::ByPath => std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(&real)
            .map(OwnedFd::from)
            .map_err(fail),
    }
}

/// Counters for the server's status report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReaderStats {
    pub mode: IoMode,
    /// The pool's buffers are registered with the ring (reads use `ReadFixed`).
    pub registered_buffers: bool,
    pub buffer_size: usize,
    pub pool_size: usize,
    /// Pool buffers not in use right now.
    pub idle_buffers: usize,
    /// Reads that found the pool empty and went into a heap buffer.
    pub heap_reads: u64,
    /// In [`IoMode::Threads`]: reads the page cache answered whole on the worker's
    /// thread (`RWF_NOWAIT`), and reads that went to the blocking pool.
    pub cached_reads: u64,
    pub pool_reads: u64,
    /// Opens [`FileReader::open_beneath`] sent to the blocking pool: a path missing
    /// from the dentry cache (in [`IoMode::Threads`]), a symbolic link out of the root
    /// to check, or a kernel without `openat2`.
    pub blocking_opens: u64,
}

/// A worker thread's file reader. Create one per worker, within its runtime.
pub struct FileReader {
    pool: Arc<Pool>,
    /// `None` in [`IoMode::Threads`].
    ring: Option<Arc<Driver>>,
    blocking_opens: Cell<u64>,
    cached_reads: Cell<u64>,
    pool_reads: Cell<u64>,
    /// `RWF_NOWAIT` reads work here (the kernel and file systems seen so far).
    nowait: Cell<bool>,
}

impl FileReader {
    /// A reader with `pool_size` buffers of `buffer_size` bytes. [`IoMode::Uring`]
    /// falls back to [`IoMode::Threads`] (with one warning per process) when the kernel
    /// or the sandbox refuses io_uring; [`FileReader::mode`] tells which is in use.
    /// Must be called within a tokio runtime with IO enabled.
    pub fn new(mode: IoMode, buffer_size: usize, pool_size: usize) -> Rc<FileReader> {
        let buffer_size = buffer_size.clamp(1, MAX_BUFFER_SIZE);
        let pool = Pool::new(buffer_size, pool_size);
        let ring = match mode {
            IoMode::Threads => None,
            IoMode::Uring => match probed() {
                Err(reason) => {
                    warn_fallback(reason);
                    None
                }
                Ok(()) => match Driver::start(pool.clone()) {
                    Ok(driver) => Some(driver),
                    Err(reason) => {
                        warn_fallback(&reason);
                        None
                    }
                },
            },
        };
        Rc::new(FileReader {
            pool,
            ring,
            blocking_opens: Cell::new(0),
            cached_reads: Cell::new(0),
            pool_reads: Cell::new(0),
            nowait: Cell::new(true),
        })
    }

    /// The path reads take: [`IoMode::Threads`] when io_uring was asked for but is
    /// unavailable.
    pub fn mode(&self) -> IoMode {
        if self.ring.is_some() {
            IoMode::Uring
        } else {
            IoMode::Threads
        }
    }

    pub fn buffer_size(&self) -> usize {
        self.pool.buffer_size()
    }

    pub fn stats(&self) -> ReaderStats {
        ReaderStats {
            mode: self.mode(),
            registered_buffers: self.ring.as_ref().is_some_and(|r| r.registered_buffers()),
            buffer_size: self.pool.buffer_size(),
            pool_size: self.pool.size(),
            idle_buffers: self.pool.idle(),
            heap_reads: self.pool.heap_reads.load(Ordering::Relaxed),
            blocking_opens: self.blocking_opens.get(),
            cached_reads: self.cached_reads.get(),
            pool_reads: self.pool_reads.get(),
        }
    }

    /// Opens `path` for reading (on the blocking pool) and takes its metadata. Only
    /// regular files: a directory is `IsADirectory`, anything else `InvalidInput`
    /// (a FIFO is opened without waiting for a writer, then refused).
    pub async fn open(&self, path: &Path) -> io::Result<Rc<OpenFile>> {
        let path = path.to_owned();
        let (file, meta) = tokio::task::spawn_blocking(move || {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&path)?;
            let meta = file.metadata()?;
            Ok::<_, io::Error>((file, meta))
        })
        .await
        .map_err(io::Error::other)??;
        opened(file, meta)?.into_file()
    }

    /// Opens `rel` under `root` for reading and takes its metadata, with the kernel
    /// keeping the whole resolution under the root. `rel` is a relative path the
    /// caller has already checked (no `..`, no leading `/`, no NUL); an empty one names
    /// the root itself.
    ///
    /// Symbolic links are followed while they stay under the root. `openat2(2)`'s
    /// `RESOLVE_BENEATH` refuses absolute links and `..` that climb past the root even
    /// when they land back inside it; those are then resolved by path (on the blocking
    /// pool) and opened only if the real path is under the root, again through the
    /// root's descriptor with symbolic links refused, so a link swapped in meanwhile
    /// cannot lead out. Magic links (`/proc/self/fd/*` and the like) are refused.
    ///
    /// The outcome:
    /// - a regular file: [`Opened::File`];
    /// - a directory: [`Opened::Directory`] (closed again), for the caller to look for
    ///   an index file in or to redirect; [`Opened::into_file`] makes it `IsADirectory`;
    /// - anything else (FIFO, socket, device): `InvalidInput`; a FIFO is opened
    ///   without waiting for a writer, then refused;
    /// - a path that leaves the root or is a symbolic link loop: `PermissionDenied`
    ///   (as is a file the server may not read);
    /// - a missing file, or a component that is not a directory: `NotFound`.
    ///
    /// In [`IoMode::Uring`] the open goes through the ring (the kernel resolves a
    /// cached path at once and hands an uncached one to its workers). In
    /// [`IoMode::Threads`], or with a ring that cannot open, it is a system call on
    /// this thread that succeeds only if every component is in the dentry cache
    /// (`RESOLVE_CACHED`, Linux 5.12); otherwise it is repeated on the blocking pool.
    /// On kernels without `openat2` (before 5.6, or a seccomp profile that refuses
    /// it), the path is canonicalized and checked against the root's, and opened, on
    /// the blocking pool.
    ///
    /// Dropping the future at any point leaks nothing: an open in the ring closes what
    /// it opened when its completion arrives.
    pub async fn open_beneath(&self, root: &RootDir, rel: &Path) -> io::Result<Opened> {
        let rel = if rel.as_os_str().is_empty() {
            Path::new(".")
        } else {
            rel
        };
        let fd = match &root.access {
            Access::Beneath => {
                let path = c_path(rel)?;
                let result = match &self.ring {
                    Some(ring) if ring.opens() => {
                        ring.open_at(root.fd.clone(), path, READ_FLAGS, RESOLVE_FLAGS)
                            .await
                    }
                    _ => self.open_inline(root, path).await,
                };
                match result {
                    Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
                        self.open_blocking(root, rel, open_by_real_path).await
                    }
                    result => result.map_err(|e| beneath_error(e, root, rel)),
                }
            }
            Access::ByPath => self.open_blocking(root, rel, open_by_real_path).await,
        }?;
        let file = File::from(fd);
        let meta = file.metadata()?;
        opened(file, meta)
    }

    /// `openat2` on this thread if the dentry cache has the whole path, else on the
    /// blocking pool. Before Linux 5.12, which cannot tell, on this thread.
    async fn open_inline(&self, root: &RootDir, path: CString) -> io::Result<OwnedFd> {
        let dir = root.fd.as_fd();
        let cached = CACHED_LOOKUPS.load(Ordering::Relaxed);
        if cached == CACHED_REFUSED {
            return openat2(Some(dir), &path, READ_FLAGS, RESOLVE_FLAGS);
        }
        match openat2(
            Some(dir),
            &path,
            READ_FLAGS,
            RESOLVE_FLAGS | libc::RESOLVE_CACHED,
        ) {
            // Something on the way is not cached: the lookup may wait for the disk.
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => {}
            // A kernel that does not know the flag says EINVAL before anything else.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) && cached == CACHED_UNKNOWN => {
                CACHED_LOOKUPS.store(CACHED_REFUSED, Ordering::Relaxed);
                return openat2(Some(dir), &path, READ_FLAGS, RESOLVE_FLAGS);
            }
            result => {
                if cached == CACHED_UNKNOWN && result.is_ok() {
                    CACHED_LOOKUPS.store(CACHED_WORKS, Ordering::Relaxed);
                }
                return result;
            }
        }
        self.blocking_opens.set(self.blocking_opens.get() + 1);
        let dir = root.fd.clone();
        tokio::task::spawn_blocking(move || {
            openat2(Some(dir.as_fd()), &path, READ_FLAGS, RESOLVE_FLAGS)
        })
        .await
        .map_err(io::Error::other)?
    }

    /// `open(root, rel)` on the blocking pool.
    async fn open_blocking(
        &self,
        root: &RootDir,
        rel: &Path,
        open: fn(&RootDir, &Path) -> io::Result<OwnedFd>,
    ) -> io::Result<OwnedFd> {
        self.blocking_opens.set(self.blocking_opens.get() + 1);
        let (root, rel) = (root.clone(), rel.to_owned());
        tokio::task::spawn_blocking(move || open(&root, &rel))
            .await
            .map_err(io::Error::other)?
    }

    /// Reads `len` bytes (at most [`FileReader::buffer_size`]) at `offset`. Fewer come
    /// back only at end of file; interrupted and short reads before it are retried.
    pub async fn read_at(&self, file: &OpenFile, offset: u64, len: usize) -> io::Result<Bytes> {
        self.begin_read(file, offset, len).await
    }

    /// Starts the same read as [`FileReader::read_at`] now, rather than when first
    /// polled, so it can be in flight while the caller does something else. Dropping
    /// the returned future abandons the read safely.
    pub fn begin_read(&self, file: &OpenFile, offset: u64, len: usize) -> PendingRead {
        if len > self.pool.buffer_size() {
            return PendingRead::ready(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a read of {len} bytes exceeds the {}-byte buffers",
                    self.pool.buffer_size()
                ),
            )));
        }
        if offset > i64::MAX as u64 - len as u64 {
            return PendingRead::ready(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "offset out of range",
            )));
        }
        if len == 0 {
            return PendingRead::ready(Ok(Bytes::new()));
        }
        let buf = match self.pool.take() {
            Some(b) => Buf::Pooled(b),
            None => {
                self.pool.heap_reads.fetch_add(1, Ordering::Relaxed);
                Buf::heap(len)
            }
        };
        let size_at_open = file.size;
        let file = file.file.clone();
        match &self.ring {
            Some(ring) => PendingRead(Pending::Uring(ring.read(file, buf, offset, len))),
            None => {
                let mut buf = buf;
                // Most reads of a media server find their bytes in the page cache: those
                // are copied here, on the worker's thread, as nginx reads; a trip
                // through the blocking pool would cost two thread switches. Only what
                // the cache does not hold goes to the pool.
                let mut filled = 0;
                if self.nowait.get() {
                    match buf.pread_cached(&file, 0, len, offset) {
                        // Whole, or up to where the file ended when it was opened (a
                        // file still growing is read again by the caller).
                        Ok(n) if n == len || offset + n as u64 >= size_at_open => {
                            self.cached_reads.set(self.cached_reads.get() + 1);
                            return PendingRead::ready(Ok(buf.into_bytes(n)));
                        }
                        Ok(n) => filled = n,
                        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
                            self.nowait.set(false);
                        }
                        Err(_) => {}
                    }
                }
                self.pool_reads.set(self.pool_reads.get() + 1);
                PendingRead(Pending::Threads(tokio::task::spawn_blocking(move || {
                    let mut buf = buf;
                    let result = pread_full(&file, &mut buf, filled, len, offset);
                    (buf, result)
                })))
            }
        }
    }
}

impl Drop for FileReader {
    fn drop(&mut self) {
        match &self.ring {
            // The ring closes the pool once the kernel is done with its buffers.
            Some(ring) => ring.close(),
            None => self.pool.close(),
        }
    }
}

/// `pread` until `len` bytes of `buf` are filled (`filled` already are) or the file
/// ends.
fn pread_full(
    file: &File,
    buf: &mut Buf,
    mut filled: usize,
    len: usize,
    offset: u64,
) -> io::Result<usize> {
    let mut retries = 0;
    while filled < len {
        match buf.pread_at(file, filled, len, offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                ) && retries < MAX_RETRIES =>
            {
                retries += 1
            }
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A read in flight; resolves to its bytes.
pub struct PendingRead(Pending);

enum Pending {
    Uring(UringRead),
    Threads(tokio::task::JoinHandle<(Buf, io::Result<usize>)>),
    Ready(Option<io::Result<Bytes>>),
}

impl PendingRead {
    fn ready(result: io::Result<Bytes>) -> PendingRead {
        PendingRead(Pending::Ready(Some(result)))
    }
}

impl Future for PendingRead {
    type Output = io::Result<Bytes>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<Bytes>> {
        match &mut self.0 {
            Pending::Uring(read) => Pin::new(read)
                .poll(cx)
                .map(|r| r.map(|(buf, filled)| buf.into_bytes(filled))),
            Pending::Threads(task) => Pin::new(task).poll(cx).map(|joined| match joined {
                Ok((buf, Ok(filled))) => Ok(buf.into_bytes(filled)),
                Ok((_, Err(e))) => Err(e),
                Err(e) => Err(io::Error::other(e)),
            }),
            Pending::Ready(result) => {
                Poll::Ready(result.take().expect("PendingRead polled after it finished"))
            }
        }
    }
}

// ---------------------------------------------------------------------------
// A file range as a byte source.

/// Bytes `start..=end` of a file, read sequentially in chunks of `chunk_size` with
/// the next chunk's read in flight while the current one is being sent. A file that
/// ends before `end` (truncated while being read) is an `UnexpectedEof` error, never a
/// short clean end.
pub struct FileSource {
    reader: Rc<FileReader>,
    file: Rc<OpenFile>,
    end: u64,
    chunk_size: usize,
    /// The next byte to hand out.
    pos: Cell<u64>,
    /// The read of the chunk at `pos`, started ahead.
    ahead: RefCell<Option<(u64, PendingRead)>>,
    /// Finished, failed or cancelled.
    stopped: Cell<bool>,
}

impl FileSource {
    /// `start > end_inclusive` is an empty range. `chunk_size` is capped at the
    /// reader's buffer size.
    pub fn new(
        reader: Rc<FileReader>,
        file: Rc<OpenFile>,
        start: u64,
        end_inclusive: u64,
        chunk_size: usize,
    ) -> FileSource {
        let chunk_size = chunk_size.clamp(1, reader.buffer_size());
        FileSource {
            reader,
            file,
            end: end_inclusive,
            chunk_size,
            pos: Cell::new(start),
            ahead: RefCell::new(None),
            stopped: Cell::new(start > end_inclusive),
        }
    }

    /// The length of the chunk at `pos`.
    fn chunk_at(&self, pos: u64) -> usize {
        (self.end - pos)
            .saturating_add(1)
            .min(self.chunk_size as u64) as usize
    }

    async fn next_chunk(&self) -> io::Result<Option<Bytes>> {
        if self.stopped.get() {
            return Ok(None);
        }
        let pos = self.pos.get();
        let want = self.chunk_at(pos);
        let read = match self.ahead.borrow_mut().take() {
            Some((at, read)) if at == pos => read,
            _ => self.reader.begin_read(&self.file, pos, want),
        };
        let chunk = match read.await {
            Ok(chunk) if chunk.len() == want => chunk,
            Ok(chunk) => {
                self.stopped.set(true);
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the file ends at byte {} of a range ending at {}: truncated while being read",
                        pos + chunk.len() as u64,
                        self.end
                    ),
                ));
            }
            Err(e) => {
                self.stopped.set(true);
                return Err(e);
            }
        };
        let next = pos.saturating_add(want as u64);
        self.pos.set(next);
        if next > self.end || next == u64::MAX {
            self.stopped.set(true);
        } else if !self.stopped.get() {
            let read = self
                .reader
                .begin_read(&self.file, next, self.chunk_at(next));
            *self.ahead.borrow_mut() = Some((next, read));
        }
        Ok(Some(chunk))
    }
}

impl ByteSource for FileSource {
    fn next(&self) -> LocalFuture<'_, io::Result<Option<Bytes>>> {
        Box::pin(self.next_chunk())
    }

    fn cancel(&self) {
        self.stopped.set(true);
        // Dropping the read ahead leaves its buffer with the read until it completes.
        self.ahead.borrow_mut().take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::uring::test_support::{evict, mkfifo, refuse_io_uring, refuse_syscalls};
    use std::io::Write;
    use std::time::{Duration, Instant};

    const MODES: [IoMode; 2] = [IoMode::Uring, IoMode::Threads];
    const KIB: usize = 1024;

    /// Byte `i` of test pattern `seed`: no short period for a misplaced read to hide in.
    fn pattern_byte(seed: u64, i: u64) -> u8 {
        let mut z = (i / 8).wrapping_add(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> ((i % 8) * 8)) as u8
    }

    fn pattern(seed: u64, len: usize) -> Vec<u8> {
        (0..len as u64).map(|i| pattern_byte(seed, i)).collect()
    }

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f.flush().unwrap();
        f
    }

    /// What a read of `len` at `offset` must return.
    fn expected(data: &[u8], offset: u64, len: usize) -> &[u8] {
        let start = (offset as usize).min(data.len());
        &data[start..(start + len).min(data.len())]
    }

    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    fn reader(mode: IoMode, buffer_size: usize, pool_size: usize) -> Rc<FileReader> {
        let reader = FileReader::new(mode, buffer_size, pool_size);
        if mode == IoMode::Threads || probe().is_ok() {
            assert_eq!(reader.mode(), mode);
        }
        reader
    }

    /// Waits until every pool buffer is idle again.
    async fn settle(reader: &FileReader) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while reader.stats().idle_buffers != reader.stats().pool_size {
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        true
    }

    /// Polls `read` once (so a lazily started read would start), then drops it.
    async fn poll_once_then_drop(mut read: PendingRead) {
        std::future::poll_fn(|cx| {
            let _ = Pin::new(&mut read).poll(cx);
            Poll::Ready(())
        })
        .await;
    }

    async fn collect(src: &FileSource) -> io::Result<Vec<Bytes>> {
        let mut chunks = Vec::new();
        while let Some(chunk) = src.next().await? {
            chunks.push(chunk);
        }
        Ok(chunks)
    }

    #[test]
    fn io_mode_parses_what_weir_io_may_say() {
        assert_eq!("uring".parse(), Ok(IoMode::Uring));
        assert_eq!("io_uring".parse(), Ok(IoMode::Uring));
        assert_eq!(" Threads ".parse(), Ok(IoMode::Threads));
        assert_eq!("epoll".parse::<IoMode>(), Err(()));
        assert_eq!(IoMode::Uring.to_string(), "uring");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn both_modes_read_exact_bytes_at_random_offsets_and_lengths() {
        let data = pattern(1, 3 * KIB * KIB + 12_345);
        let tmp = file_with(&data);
        for mode in MODES {
            let reader = reader(mode, 64 * KIB, 8);
            let file = reader.open(tmp.path()).await.unwrap();
            assert_eq!(file.size, data.len() as u64);
            let mut rng = Rng(7);
            for _ in 0..300 {
                let offset = rng.below(data.len() as u64 + 1000);
                let len = rng.below(64 * KIB as u64 + 1) as usize;
                let got = reader.read_at(&file, offset, len).await.unwrap();
                assert!(
                    got == expected(&data, offset, len),
                    "{mode}: {len} bytes at {offset}"
                );
            }
            assert!(settle(&reader).await);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn reads_at_the_end_return_what_is_left_then_nothing() {
        let data = pattern(2, 100_000);
        let tmp = file_with(&data);
        for mode in MODES {
            let reader = reader(mode, 64 * KIB, 4);
            let file = reader.open(tmp.path()).await.unwrap();
            let tail = reader.read_at(&file, 99_000, 4096).await.unwrap();
            assert_eq!(&tail[..], &data[99_000..]);
            drop(tail);
            assert!(reader.read_at(&file, 100_000, 10).await.unwrap().is_empty());
            assert!(reader.read_at(&file, 1 << 40, 10).await.unwrap().is_empty());
            assert!(reader.read_at(&file, 0, 0).await.unwrap().is_empty());
            let too_long = reader.read_at(&file, 0, 64 * KIB + 1).await.unwrap_err();
            assert_eq!(too_long.kind(), io::ErrorKind::InvalidInput);
            let too_far = reader.read_at(&file, u64::MAX - 5, 10).await.unwrap_err();
            assert_eq!(too_far.kind(), io::ErrorKind::InvalidInput);
            assert!(settle(&reader).await);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_empty_file_reads_as_nothing_and_a_range_past_it_is_unexpected_eof() {
        let tmp = file_with(b"");
        for mode in MODES {
            let reader = reader(mode, 4096, 2);
            let file = reader.open(tmp.path()).await.unwrap();
            assert_eq!(file.size, 0);
            assert!(reader.read_at(&file, 0, 100).await.unwrap().is_empty());
            let nothing = FileSource::new(reader.clone(), file.clone(), 1, 0, 4096);
            assert!(nothing.next().await.unwrap().is_none());
            let past = FileSource::new(reader.clone(), file.clone(), 0, 0, 4096);
            let err = past.next().await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
            assert!(settle(&reader).await);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn only_regular_files_open() {
        let dir = tempfile::tempdir().unwrap();
        for mode in MODES {
            let reader = reader(mode, 4096, 2);
            let err = reader.open(dir.path()).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::IsADirectory);
            let missing = reader.open(&dir.path().join("missing")).await.unwrap_err();
            assert_eq!(missing.kind(), io::ErrorKind::NotFound);
            let fifo = dir.path().join(format!("fifo-{mode}"));
            mkfifo(&fifo).unwrap();
            // Opening a FIFO for reading would wait for a writer; this must not.
            let err = tokio::time::timeout(Duration::from_secs(5), reader.open(&fifo))
                .await
                .expect("opening a FIFO does not hang")
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn hundreds_of_reads_in_flight_on_one_thread_all_complete_correctly() {
        let data = pattern(3, 8 * KIB * KIB);
        let tmp = file_with(&data);
        for mode in MODES {
            let reader = reader(mode, 64 * KIB, 16);
            let file = reader.open(tmp.path()).await.unwrap();
            evict(&file.file);
            let mut rng = Rng(11);
            let reads: Vec<_> = (0..400)
                .map(|_| {
                    let offset = rng.below(data.len() as u64);
                    let len = 1 + rng.below(64 * KIB as u64) as usize;
                    (offset, len, reader.begin_read(&file, offset, len))
                })
                .collect();
            // All 400 were started before any is awaited; 16 have pool buffers.
            assert_eq!(reader.stats().heap_reads, 400 - 16);
            for (offset, len, read) in reads {
                let got = read.await.unwrap();
                assert!(
                    got == expected(&data, offset, len),
                    "{mode}: {len} bytes at {offset}"
                );
            }
            assert!(settle(&reader).await);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_empty_pool_falls_back_to_heap_buffers_instead_of_waiting() {
        let data = pattern(4, 64 * KIB);
        let tmp = file_with(&data);
        for mode in MODES {
            let reader = reader(mode, 4096, 2);
            let file = reader.open(tmp.path()).await.unwrap();
            let a = reader.read_at(&file, 0, 4096).await.unwrap();
            let b = reader.read_at(&file, 4096, 4096).await.unwrap();
            assert_eq!(reader.stats().idle_buffers, 0);
            assert_eq!(reader.stats().heap_reads, 0);
            let c = tokio::time::timeout(Duration::from_secs(5), reader.read_at(&file, 8192, 4096))
                .await
                .expect("an empty pool does not make reads wait")
                .unwrap();
            assert_eq!(&c[..], &data[8192..12288]);
            assert_eq!(reader.stats().heap_reads, 1);
            drop(c);
            assert_eq!(reader.stats().idle_buffers, 0);
            assert_eq!((&a[..], &b[..]), (&data[..4096], &data[4096..8192]));
            drop((a, b));
            assert_eq!(reader.stats().idle_buffers, 2);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn reads_are_found_by_address_and_a_shared_slice_keeps_the_buffer_from_reuse() {
        use crate::io::held::share;
        let data = pattern(9, 256 * KIB);
        let tmp = file_with(&data);
        for mode in MODES {
            let reader = reader(mode, 16 * KIB, 1);
            let file = reader.open(tmp.path()).await.unwrap();
            let pooled = reader.read_at(&file, 0, 8000).await.unwrap();
            let heap = reader.read_at(&file, 16384, 16384).await.unwrap();
            assert_eq!(
                reader.stats().heap_reads,
                1,
                "{mode}: the pool has one buffer"
            );
            for (read, at) in [(&pooled, 0), (&heap, 16384)] {
                let part = &read[100..7900];
                let shared = share(part).expect("a slice of a held read");
                assert_eq!(shared.as_ptr(), part.as_ptr(), "{mode}: not a copy");
                assert_eq!(&shared[..], &data[at + 100..at + 7900]);
            }
            let other = data[..8000].to_vec();
            assert!(share(&other).is_none(), "{mode}: foreign memory");

            // A shared slice holds the pool buffer like the read's own `Bytes`.
            let kept = share(&pooled[..]).unwrap();
            drop(pooled);
            assert_eq!(reader.stats().idle_buffers, 0);
            let next = reader.read_at(&file, 32768, 8000).await.unwrap();
            assert_eq!(
                reader.stats().heap_reads,
                2,
                "{mode}: the buffer was reused"
            );
            assert_eq!(
                &kept[..],
                &data[..8000],
                "{mode}: the buffer was written over"
            );
            drop(kept);
            assert_eq!(reader.stats().idle_buffers, 1);
            drop((heap, next));
            assert!(settle(&reader).await);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_buffer_comes_back_when_its_last_bytes_is_dropped_on_any_thread() {
        let data = pattern(5, 64 * KIB);
        let tmp = file_with(&data);
        for mode in MODES {
            let reader = reader(mode, 4096, 4);
            let file = reader.open(tmp.path()).await.unwrap();
            let b = reader.read_at(&file, 0, 4096).await.unwrap();
            assert_eq!(reader.stats().idle_buffers, 3);
            let clone = b.clone();
            let slice = b.slice(10..20);
            drop(b);
            drop(clone);
            assert_eq!(reader.stats().idle_buffers, 3);
            assert_eq!(&slice[..], &data[10..20]);
            drop(slice);
            assert_eq!(reader.stats().idle_buffers, 4);

            let elsewhere = reader.read_at(&file, 4096, 4096).await.unwrap();
            assert_eq!(reader.stats().idle_buffers, 3);
            let want = data[4096..8192].to_vec();
            std::thread::spawn(move || {
                assert_eq!(&elsewhere[..], &want[..]);
                drop(elsewhere);
            })
            .join()
            .unwrap();
            assert_eq!(reader.stats().idle_buffers, 4);
            assert!(reader.pool.idle_buffers_poisoned());
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn bytes_outliving_their_reader_stay_intact_and_are_freed_later() {
        let data = pattern(6, 64 * KIB);
        let tmp = file_with(&data);
        for mode in MODES {
            let reader = reader(mode, 8192, 2);
            let file = reader.open(tmp.path()).await.unwrap();
            let kept = reader.read_at(&file, 100, 8192).await.unwrap();
            drop(file);
            drop(reader);
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert_eq!(&kept[..], &data[100..8292]);
            std::thread::spawn(move || drop(kept)).join().unwrap();
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn dropped_read_futures_neither_corrupt_other_reads_nor_leak_buffers() {
        let a = pattern(7, 32 * KIB * KIB);
        let b = pattern(8, KIB * KIB);
        let (ta, tb) = (file_with(&a), file_with(&b));
        // Written back, so that eviction really drops A's pages.
        ta.as_file().sync_all().unwrap();
        for mode in MODES {
            let reader = reader(mode, 64 * KIB, 8);
            let fa = reader.open(ta.path()).await.unwrap();
            let fb = reader.open(tb.path()).await.unwrap();
            let mut rng = Rng(13);
            for _ in 0..150 {
                // Cold pages keep the abandoned reads in the kernel for a while.
                evict(&fa.file);
                for i in 0..6 {
                    let offset = rng.below(a.len() as u64);
                    let read = reader.begin_read(&fa, offset, 64 * KIB);
                    if i % 2 == 0 {
                        drop(read);
                    } else {
                        poll_once_then_drop(read).await;
                    }
                }
                // Reads into whatever buffers came back must see their own file only.
                for _ in 0..4 {
                    let offset = rng.below(b.len() as u64);
                    let len = 1 + rng.below(64 * KIB as u64) as usize;
                    let got = reader.read_at(&fb, offset, len).await.unwrap();
                    assert!(
                        got == expected(&b, offset, len),
                        "{mode}: {len} bytes at {offset}"
                    );
                }
            }
            assert!(settle(&reader).await, "{mode}: every buffer comes back");
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert!(
                reader.pool.idle_buffers_poisoned(),
                "{mode}: nothing writes into a released buffer"
            );
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_file_source_yields_exactly_its_range_with_one_read_ahead() {
        let data = pattern(9, 1_000_003);
        let tmp = file_with(&data);
        let n = data.len() as u64;
        for mode in MODES {
            let reader = reader(mode, 64 * KIB, 8);
            let file = reader.open(tmp.path()).await.unwrap();
            for (start, end, chunk) in [
                (0, n - 1, 64 * KIB),
                (100, 500_000, 10_000),
                (n - 4, n - 1, 64 * KIB),
                (5, 5, 1),
                (0, n - 1, 1 << 20),
            ] {
                let src = FileSource::new(reader.clone(), file.clone(), start, end, chunk);
                let chunks = collect(&src).await.unwrap();
                assert!(chunks
                    .iter()
                    .all(|c| !c.is_empty() && c.len() <= chunk.min(64 * KIB)));
                let got: Vec<u8> = chunks.concat();
                assert!(
                    got == data[start as usize..=end as usize],
                    "{mode}: {start}..={end}"
                );
                assert!(src.next().await.unwrap().is_none(), "the end stays the end");
            }
            let src = FileSource::new(reader.clone(), file.clone(), 0, n - 1, 64 * KIB);
            let first = src.next().await.unwrap().unwrap();
            // One buffer holds the chunk handed out, one the read ahead in flight.
            assert_eq!(reader.stats().idle_buffers, 6);
            src.cancel();
            assert!(src.next().await.unwrap().is_none());
            drop(first);
            assert!(
                settle(&reader).await,
                "{mode}: cancel lets the read ahead go"
            );
        }
    }

    #[derive(Default)]
    struct Gather {
        got: RefCell<Vec<u8>>,
        finished: Cell<bool>,
    }
    impl crate::io::ByteSink for Gather {
        fn write(&self, chunk: Bytes) -> LocalFuture<'_, bool> {
            self.got.borrow_mut().extend_from_slice(&chunk);
            Box::pin(async { true })
        }
        fn finish(&self) {
            self.finished.set(true);
        }
        fn abort(&self) {}
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_file_source_pipes_its_range_into_a_sink() {
        let data = pattern(14, 700_000);
        let tmp = file_with(&data);
        for mode in MODES {
            let reader = reader(mode, DEFAULT_BUFFER_SIZE, 4);
            let file = reader.open(tmp.path()).await.unwrap();
            let src = Rc::new(FileSource::new(
                reader.clone(),
                file,
                1000,
                650_000,
                DEFAULT_BUFFER_SIZE,
            ));
            let sink = Rc::new(Gather::default());
            let moved = crate::io::pipe(src, sink.clone()).await.unwrap();
            assert_eq!(moved, 649_001);
            assert!(sink.finished.get());
            assert!(sink.got.borrow()[..] == data[1000..=650_000]);
            assert!(settle(&reader).await);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_file_source_dropped_mid_read_gives_every_buffer_back() {
        let data = pattern(10, 4 * KIB * KIB);
        let tmp = file_with(&data);
        for mode in MODES {
            let reader = reader(mode, 64 * KIB, 4);
            let file = reader.open(tmp.path()).await.unwrap();
            for _ in 0..50 {
                evict(&file.file);
                let src = FileSource::new(
                    reader.clone(),
                    file.clone(),
                    0,
                    data.len() as u64 - 1,
                    64 * KIB,
                );
                let _ = src.next().await.unwrap();
                let mut next = src.next();
                std::future::poll_fn(|cx| {
                    let _ = next.as_mut().poll(cx);
                    Poll::Ready(())
                })
                .await;
                drop(next);
                drop(src);
            }
            assert!(settle(&reader).await);
            assert!(reader.pool.idle_buffers_poisoned());
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_file_truncated_during_a_file_source_read_is_unexpected_eof() {
        let data = pattern(11, KIB * KIB);
        let tmp = file_with(&data);
        for mode in MODES {
            std::fs::write(tmp.path(), &data).unwrap();
            let reader = reader(mode, 64 * KIB, 4);
            let file = reader.open(tmp.path()).await.unwrap();
            let src = FileSource::new(
                reader.clone(),
                file.clone(),
                0,
                data.len() as u64 - 1,
                64 * KIB,
            );
            let first = src.next().await.unwrap().unwrap();
            assert_eq!(&first[..], &data[..64 * KIB]);
            std::fs::OpenOptions::new()
                .write(true)
                .open(tmp.path())
                .unwrap()
                .set_len(100_000)
                .unwrap();
            let mut got = first.len();
            let err = loop {
                match src.next().await {
                    Ok(Some(chunk)) => got += chunk.len(),
                    Ok(None) => panic!("{mode}: a truncated file ended cleanly after {got} bytes"),
                    Err(e) => break e,
                }
            };
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{mode}: {err}");
            assert!(got < data.len());
            assert!(
                src.next().await.unwrap().is_none(),
                "a failed source stays stopped"
            );
            drop(first);
            assert!(settle(&reader).await);
        }
    }

    #[test]
    fn a_runtime_shut_down_with_reads_in_the_kernel_waits_for_them_before_freeing() {
        let data = pattern(12, 16 * KIB * KIB);
        let tmp = file_with(&data);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (reader, file, reads) = rt.block_on(async {
            let reader = reader(IoMode::Uring, 256 * KIB, 8);
            let file = reader.open(tmp.path()).await.unwrap();
            evict(&file.file);
            let reads: Vec<_> = (0..16u64)
                .map(|i| reader.begin_read(&file, i * 1024 * 1024, 256 * KIB))
                .collect();
            (reader, file, reads)
        });
        drop(reads);
        drop(rt);
        // The reaper went with the runtime: dropping the reader tears the ring down,
        // which must wait for the kernel before the pool frees the buffers.
        drop(file);
        drop(reader);
    }

    /// Runs `name` (a test of this module) in a child process with `env` set.
    fn run_child(name: &str, env: &[(&str, &str)]) -> std::process::Output {
        let module = module_path!()
            .split_once("::")
            .map_or(module_path!(), |(_, m)| m);
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        cmd.args([
            &format!("{module}::{name}"),
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    #[test]
    fn uring_falls_back_to_threads_when_seccomp_refuses_io_uring() {
        for errno in ["EPERM", "ENOSYS"] {
            let out = run_child(
                "child_reads_under_a_seccomp_filter_against_io_uring",
                &[("WEIR_IO_TEST_SECCOMP", errno), ("WEIR_IO", "uring")],
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.contains("1 passed"),
                "{errno}: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Only does something in the child process started by the test above.
    #[test]
    fn child_reads_under_a_seccomp_filter_against_io_uring() {
        let Ok(errno) = std::env::var("WEIR_IO_TEST_SECCOMP") else {
            return;
        };
        let errno = if errno == "ENOSYS" {
            libc::ENOSYS
        } else {
            libc::EPERM
        };
        refuse_io_uring(errno);
        let err = probe().unwrap_err();
        assert!(err.contains("io_uring_setup"), "{err}");
        let data = pattern(13, 300 * KIB);
        let tmp = file_with(&data);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mode = IoMode::from_env_or(IoMode::Threads);
            assert_eq!(mode, IoMode::Uring);
            let reader = FileReader::new(mode, 64 * KIB, 4);
            assert_eq!(reader.mode(), IoMode::Threads);
            let file = reader.open(tmp.path()).await.unwrap();
            let src = FileSource::new(reader.clone(), file, 0, data.len() as u64 - 1, 64 * KIB);
            assert!(collect(&src).await.unwrap().concat() == data);

            // Opens under a root still confine in the kernel, on this thread.
            let t = tree();
            let root = RootDir::open(&t.root).unwrap();
            assert_eq!(root.access, Access::Beneath);
            check_every_outcome(&reader, &root, &t).await;
        });
    }

    // -----------------------------------------------------------------------
    // Opening under a root.

    /// A root and what lies in and around it:
    ///
    /// ```text
    /// base/outside.txt
    /// base/root/a.txt
    /// base/root/d1/d2/d3/d4/e.txt
    /// base/root/sub/b.txt
    /// base/root/sub/up-and-back -> ../sub/b.txt
    /// base/root/link-in         -> sub/b.txt
    /// base/root/link-dir        -> sub
    /// base/root/link-abs-in     -> <base>/root/sub/b.txt
    /// base/root/link-abs-out    -> <base>/outside.txt
    /// base/root/link-rel-out    -> ../outside.txt
    /// base/root/link-dir-out    -> ..
    /// base/root/link-loop       -> link-loop
    /// base/root/fifo
    /// ```
    struct Tree {
        _dir: tempfile::TempDir,
        root: PathBuf,
        outside: PathBuf,
        a: Vec<u8>,
        b: Vec<u8>,
        e: Vec<u8>,
    }

    fn tree() -> Tree {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        let root = base.join("root");
        let outside = base.join("outside.txt");
        let (a, b, e) = (pattern(21, 5000), pattern(22, 70_000), pattern(23, 123));
        std::fs::write(&outside, b"secret").unwrap();
        std::fs::create_dir_all(root.join("d1/d2/d3/d4")).unwrap();
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("a.txt"), &a).unwrap();
        std::fs::write(root.join("sub/b.txt"), &b).unwrap();
        std::fs::write(root.join("d1/d2/d3/d4/e.txt"), &e).unwrap();
        symlink("../sub/b.txt", root.join("sub/up-and-back")).unwrap();
        symlink("sub/b.txt", root.join("link-in")).unwrap();
        symlink("sub", root.join("link-dir")).unwrap();
        symlink(root.join("sub/b.txt"), root.join("link-abs-in")).unwrap();
        symlink(&outside, root.join("link-abs-out")).unwrap();
        symlink("../outside.txt", root.join("link-rel-out")).unwrap();
        symlink("..", root.join("link-dir-out")).unwrap();
        symlink("link-loop", root.join("link-loop")).unwrap();
        mkfifo(&root.join("fifo")).unwrap();
        Tree {
            _dir: dir,
            root,
            outside,
            a,
            b,
            e,
        }
    }

    fn inode(path: &Path) -> u64 {
        std::fs::metadata(path).unwrap().ino()
    }

    async fn file_at(reader: &FileReader, root: &RootDir, rel: &str) -> Rc<OpenFile> {
        match reader.open_beneath(root, Path::new(rel)).await {
            Ok(Opened::File(file)) => file,
            other => panic!("{}: {rel:?} opened as {other:?}", reader.mode()),
        }
    }

    async fn error_at(reader: &FileReader, root: &RootDir, rel: &str) -> io::Error {
        match reader.open_beneath(root, Path::new(rel)).await {
            Err(e) => e,
            Ok(o) => panic!("{}: {rel:?} opened as {o:?}", reader.mode()),
        }
    }

    /// `file` holds exactly `data`, as the file at `path` does.
    async fn assert_holds(reader: &FileReader, file: &OpenFile, data: &[u8], path: &Path) {
        assert_eq!(file.size, data.len() as u64);
        assert_eq!(file.inode, inode(path));
        let mut got = Vec::new();
        while got.len() < data.len() {
            let len = (data.len() - got.len()).min(reader.buffer_size());
            got.extend_from_slice(&reader.read_at(file, got.len() as u64, len).await.unwrap());
        }
        assert!(got == data, "{}: {}", reader.mode(), path.display());
    }

    async fn check_files(reader: &FileReader, root: &RootDir, t: &Tree) {
        let a = file_at(reader, root, "a.txt").await;
        assert_holds(reader, &a, &t.a, &t.root.join("a.txt")).await;
        let e = file_at(reader, root, "d1/d2/d3/d4/e.txt").await;
        assert_holds(reader, &e, &t.e, &t.root.join("d1/d2/d3/d4/e.txt")).await;
        let b = file_at(reader, root, "sub/./b.txt").await;
        assert_holds(reader, &b, &t.b, &t.root.join("sub/b.txt")).await;
        // O_NONBLOCK is gone once the file is known to be regular.
        let flags = status_flags(&b.file);
        assert_eq!(flags & libc::O_NONBLOCK, 0);
    }

    /// The file status flags of `file`, as /proc reports them.
    fn status_flags(file: &File) -> i32 {
        use std::os::fd::AsRawFd;
        let info =
            std::fs::read_to_string(format!("/proc/self/fdinfo/{}", file.as_raw_fd())).unwrap();
        let flags = info
            .lines()
            .find_map(|l| l.strip_prefix("flags:"))
            .expect("fdinfo has flags");
        i32::from_str_radix(flags.trim(), 8).unwrap()
    }

    async fn check_links_inside(reader: &FileReader, root: &RootDir, t: &Tree) {
        let b = t.root.join("sub/b.txt");
        for rel in [
            "link-in",
            "link-dir/b.txt",
            "sub/up-and-back",
            "link-abs-in",
        ] {
            let file = file_at(reader, root, rel).await;
            assert_holds(reader, &file, &t.b, &b).await;
        }
        // Out and back in: what counts is where the path ends.
        let file = file_at(reader, root, "link-dir-out/root/a.txt").await;
        assert_holds(reader, &file, &t.a, &t.root.join("a.txt")).await;
    }

    async fn check_links_outside(reader: &FileReader, root: &RootDir, t: &Tree) {
        let absolute = t.outside.to_str().unwrap();
        for rel in [
            "link-abs-out",
            "link-rel-out",
            "link-dir-out/outside.txt",
            "link-loop",
            "../outside.txt",
            absolute,
        ] {
            let err = error_at(reader, root, rel).await;
            assert_eq!(
                err.kind(),
                io::ErrorKind::PermissionDenied,
                "{}: {rel}: {err}",
                reader.mode()
            );
        }
    }

    async fn check_not_files(reader: &FileReader, root: &RootDir) {
        for rel in ["sub", "sub/", "link-dir", "", ".", "d1/d2"] {
            let opened = reader.open_beneath(root, Path::new(rel)).await;
            assert!(
                matches!(opened, Ok(Opened::Directory)),
                "{}: {rel:?}: {opened:?}",
                reader.mode()
            );
        }
        let dir = reader.open_beneath(root, Path::new("sub")).await.unwrap();
        assert_eq!(
            dir.into_file().unwrap_err().kind(),
            io::ErrorKind::IsADirectory
        );
        for rel in [
            "missing",
            "missing/x",
            "a.txt/x",
            "sub/b.txt/",
            "d1/d2/d3/d4/e.txt/x",
        ] {
            let err = error_at(reader, root, rel).await;
            assert_eq!(
                err.kind(),
                io::ErrorKind::NotFound,
                "{}: {rel}: {err}",
                reader.mode()
            );
        }
        let too_long = "x".repeat(300);
        let err = error_at(reader, root, &too_long).await;
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
        let err = tokio::time::timeout(
            Duration::from_secs(5),
            reader.open_beneath(root, Path::new("fifo")),
        )
        .await
        .expect("opening a FIFO does not hang")
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    async fn check_every_outcome(reader: &FileReader, root: &RootDir, t: &Tree) {
        check_files(reader, root, t).await;
        check_links_inside(reader, root, t).await;
        check_links_outside(reader, root, t).await;
        check_not_files(reader, root).await;
    }

    #[tokio::test(flavor = "current_thread")]
    async fn files_open_beneath_a_root_at_any_depth() {
        let t = tree();
        let root = RootDir::open(&t.root).unwrap();
        assert_eq!(root.path(), t.root);
        for mode in MODES {
            let reader = reader(mode, 64 * KIB, 4);
            check_files(&reader, &root, &t).await;
            // Cached paths open on the worker's thread or through the ring.
            assert_eq!(reader.stats().blocking_opens, 0, "{mode}");
            assert!(settle(&reader).await);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn symbolic_links_that_stay_under_the_root_are_followed() {
        let t = tree();
        let root = RootDir::open(&t.root).unwrap();
        for mode in MODES {
            let reader = reader(mode, 64 * KIB, 4);
            check_links_inside(&reader, &root, &t).await;
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn paths_out_of_the_root_are_permission_denied() {
        let t = tree();
        let root = RootDir::open(&t.root).unwrap();
        for mode in MODES {
            let reader = reader(mode, 64 * KIB, 4);
            check_links_outside(&reader, &root, &t).await;
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn directories_missing_files_and_fifos_beneath_a_root() {
        let t = tree();
        let root = RootDir::open(&t.root).unwrap();
        for mode in MODES {
            let reader = reader(mode, 64 * KIB, 4);
            check_not_files(&reader, &root).await;
        }
    }

    #[test]
    fn a_root_is_an_existing_directory() {
        let t = tree();
        let missing = RootDir::open(&t.root.join("missing")).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        let file = RootDir::open(&t.root.join("a.txt")).unwrap_err();
        assert_eq!(file.raw_os_error(), Some(libc::ENOTDIR));
        // A root named through a symbolic link is the directory it points to.
        let via_link = RootDir::open(&t.root.join("link-dir")).unwrap();
        assert_eq!(via_link.real, t.root.join("sub"));
    }

    #[test]
    fn dropped_opens_close_what_they_opened() {
        let out = run_child(
            "child_drops_opens_mid_flight",
            &[("WEIR_IO_TEST_DROP_OPENS", "1")],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn open_fds() -> usize {
        std::fs::read_dir("/proc/self/fd").unwrap().count()
    }

    /// Polls `fut` once, then drops it. True if it was still pending.
    async fn poll_once_then_drop_any<F: Future>(fut: F) -> bool {
        let mut fut = std::pin::pin!(fut);
        std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_pending())).await
    }

    /// Only does something in the child process started by the test above, where no
    /// other test opens descriptors meanwhile.
    #[test]
    fn child_drops_opens_mid_flight() {
        if std::env::var_os("WEIR_IO_TEST_DROP_OPENS").is_none() {
            return;
        }
        let t = tree();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let root = RootDir::open(&t.root).unwrap();
            for mode in MODES {
                let reader = reader(mode, 4096, 4);
                let ring = reader.ring.clone().filter(|r| r.opens());
                // Once each way first, so that nothing opened lazily counts.
                check_files(&reader, &root, &t).await;
                check_links_inside(&reader, &root, &t).await;
                let before = open_fds();
                let mut pending = 0;
                let rels = ["a.txt", "d1/d2/d3/d4/e.txt", "link-abs-in", "sub"];
                for i in 0..600 {
                    if let Some(ring) = &ring {
                        // Half go to the kernel's workers, and complete after the drop.
                        ring.force_async.store(i % 2 == 1, Ordering::Relaxed);
                    }
                    // A name never looked up before is not in the dentry cache: its
                    // open goes to the blocking pool, where it is still in flight when
                    // dropped (the others may be answered on the spot from the cache).
                    // Per mode: the names the first mode looked up are cached for the
                    // next.
                    let fresh = format!("missing-{mode}-{i}");
                    let rel = match i % 5 {
                        4 => fresh.as_str(),
                        k => rels[k],
                    };
                    let open = reader.open_beneath(&root, Path::new(rel));
                    if i % 3 == 0 {
                        drop(open);
                    } else if poll_once_then_drop_any(open).await {
                        pending += 1;
                    }
                }
                if let Some(ring) = &ring {
                    // Straight to the ring, dropped before anything reaps it.
                    for _ in 0..200 {
                        let path = CString::new("a.txt").unwrap();
                        drop(ring.open_at(root.fd.clone(), path, READ_FLAGS, RESOLVE_FLAGS));
                    }
                    ring.force_async.store(false, Ordering::Relaxed);
                    // Completed and reaped (by the first one's poll), never collected.
                    let mut opens = (0..50).map(|_| {
                        let path = CString::new("a.txt").unwrap();
                        ring.open_at(root.fd.clone(), path, READ_FLAGS, RESOLVE_FLAGS)
                    });
                    let first = opens.next().unwrap().await.unwrap();
                    drop((first, opens.collect::<Vec<_>>()));
                }
                assert!(pending > 0, "{mode}: some opens were dropped in flight");
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    let idle = ring.as_ref().is_none_or(|r| r.is_idle());
                    if idle && open_fds() == before {
                        break;
                    }
                    assert!(
                        Instant::now() < deadline,
                        "{mode}: {} descriptors open, {before} before; ring idle: {idle}",
                        open_fds()
                    );
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                assert!(settle(&reader).await);
                // And the reader still opens.
                check_files(&reader, &root, &t).await;
                println!("{mode}: {pending} of 400 polled opens were dropped in flight");
            }
        });
    }

    #[test]
    fn opens_under_a_root_confine_by_path_without_openat2() {
        for errno in ["ENOSYS", "EPERM"] {
            let out = run_child(
                "child_opens_under_a_seccomp_filter_against_openat2",
                &[("WEIR_IO_TEST_NO_OPENAT2", errno), ("WEIR_IO", "uring")],
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.contains("1 passed"),
                "{errno}: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Only does something in the child process started by the test above.
    #[test]
    fn child_opens_under_a_seccomp_filter_against_openat2() {
        let Ok(errno) = std::env::var("WEIR_IO_TEST_NO_OPENAT2") else {
            return;
        };
        let errno = if errno == "ENOSYS" {
            libc::ENOSYS
        } else {
            libc::EPERM
        };
        let t = tree();
        refuse_syscalls(
            &[
                libc::SYS_io_uring_setup,
                libc::SYS_io_uring_enter,
                libc::SYS_io_uring_register,
                libc::SYS_openat2,
            ],
            errno,
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let root = RootDir::open(&t.root).unwrap();
            assert_eq!(root.access, Access::ByPath);
            for mode in MODES {
                let reader = FileReader::new(mode, 64 * KIB, 4);
                assert_eq!(reader.mode(), IoMode::Threads);
                check_every_outcome(&reader, &root, &t).await;
                assert!(settle(&reader).await);
            }
        });
    }

    /// In the thread-pool mode, reads the page cache holds are answered on the
    /// worker's thread (no pool trip); the bytes are the file's either way.
    #[tokio::test(flavor = "current_thread")]
    async fn threads_mode_reads_cached_bytes_inline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cached.bin");
        let data: Vec<u8> = (0..(1u32 << 20))
            .map(|i| (i * 7 + (i >> 9)) as u8)
            .collect();
        std::fs::write(&path, &data).unwrap();
        // Whether this kernel and file system read from the cache without waiting.
        let probe = crate::io::uring::reads_from_cache(&File::open(&path).unwrap());
        let reader = reader(IoMode::Threads, 64 * KIB, 4);
        let file = reader.open(&path).await.unwrap();
        for i in 0..16 {
            let got = reader
                .read_at(&file, (i * 64 * KIB) as u64, 64 * KIB)
                .await
                .unwrap();
            assert!(
                got[..] == data[i * 64 * KIB..(i + 1) * 64 * KIB],
                "read {i}"
            );
        }
        // Past the end: nothing, also from the cache.
        let tail = reader
            .read_at(&file, data.len() as u64 - 100, 64 * KIB)
            .await
            .unwrap();
        assert!(tail[..] == data[data.len() - 100..]);
        drop(tail);
        let stats = reader.stats();
        assert_eq!(stats.cached_reads + stats.pool_reads, 17, "{stats:?}");
        if probe {
            assert_eq!(stats.cached_reads, 17, "{stats:?}");
        }
        assert!(settle(&reader).await);
    }

    /// Per-open latency, printed (run with `--nocapture`, in release for numbers that
    /// mean something); asserts only that every way opens the right file.
    #[tokio::test(flavor = "current_thread")]
    async fn open_latency_by_path_and_beneath_a_root() {
        const N: usize = 2000;
        let t = tree();
        let rel = Path::new("d1/d2/d3/d4/e.txt");
        let want = inode(&t.root.join(rel));
        let root = RootDir::open(&t.root).unwrap();
        let threads = reader(IoMode::Threads, 4096, 2);
        let uring = reader(IoMode::Uring, 4096, 2);
        let mut report = Vec::new();
        macro_rules! measure {
            ($name:expr, $open:expr) => {{
                for _ in 0..200 {
                    let file = $open;
                    assert_eq!(file.inode, want);
                }
                let mut took = Vec::with_capacity(N);
                for _ in 0..N {
                    let start = Instant::now();
                    let file = $open;
                    took.push(start.elapsed());
                    assert_eq!(file.inode, want);
                }
                let all: Duration = took.iter().sum();
                took.sort();
                report.push(format!(
                    "{:<48} mean {:>6.1} µs  p50 {:>6.1} µs  p99 {:>6.1} µs",
                    $name,
                    all.as_secs_f64() * 1e6 / N as f64,
                    took[N / 2].as_secs_f64() * 1e6,
                    took[N * 99 / 100].as_secs_f64() * 1e6,
                ));
            }};
        }
        let real_root = std::fs::canonicalize(&t.root).unwrap();
        measure!("canonicalize + open on the blocking pool", {
            let real = std::fs::canonicalize(real_root.join(rel)).unwrap();
            assert!(real.starts_with(&real_root));
            threads.open(&real).await.unwrap()
        });
        measure!(
            format!("open_beneath, {}", threads.mode()),
            threads
                .open_beneath(&root, rel)
                .await
                .unwrap()
                .into_file()
                .unwrap()
        );
        measure!(
            format!("open_beneath, {}", uring.mode()),
            uring
                .open_beneath(&root, rel)
                .await
                .unwrap()
                .into_file()
                .unwrap()
        );
        let c = CString::new(rel.as_os_str().as_encoded_bytes()).unwrap();
        measure!("openat2 + fstat, no future (the floor)", {
            let fd = openat2(Some(root.fd.as_fd()), &c, READ_FLAGS, RESOLVE_FLAGS).unwrap();
            let file = File::from(fd);
            let ino = file.metadata().unwrap().ino();
            OpenFile {
                file: Arc::new(file),
                size: 0,
                mtime: SystemTime::UNIX_EPOCH,
                inode: ino,
            }
        });
        println!(
            "per-open latency, {N} opens of a 5-component path, hot dentry cache \
             ({} of them on the blocking pool in threads mode):\n{}",
            threads.stats().blocking_opens,
            report.join("\n")
        );
    }
}
