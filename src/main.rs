// Rust allocations (request heads, header maps, futures, QUIC packets) go through
// mimalloc: per-thread heaps suit one event loop per core, and it cut the CPU per
// request of small HTTP/1.1 responses (load-tests/RESULTS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(weir::cli::main());
}
