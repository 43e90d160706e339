//! Allocation counts on hot paths, with a counting global allocator (a separate test binary,
//! since the allocator is process-wide). Each path runs once to warm lazy statics, then the
//! second run must not allocate.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY of the impl is inherited from `System`: every call is forwarded unchanged.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_of(f: impl Fn()) -> usize {
    f();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    f();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

#[test]
fn negotiation_does_not_allocate() {
    use drupe::negotiate::{MediaRange, select};
    let produces: Vec<MediaRange> = [
        "application/json",
        "application/xml",
        "text/json",
        "text/x-json",
        "text/html",
    ]
    .iter()
    .map(|m| MediaRange::parse(m).unwrap())
    .collect();
    for header in [
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
        "*/*",
        "application/json",
        "",
    ] {
        let n = allocations_of(|| {
            std::hint::black_box(select(header, &produces).unwrap());
        });
        assert_eq!(n, 0, "select({header:?}) allocated {n} times");
    }
}
