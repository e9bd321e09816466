//! A counting global allocator: the system allocator plus an atomic count
//! of the bytes it holds, so INFO can report what the allocator says
//! (`allocator_allocated`, MEMORY STATS `allocator.allocated`) as Redis
//! reads jemalloc's statistics. Installed by the binary (`src/main.rs`); a
//! process without it (tests linking the library) reports nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static ALLOCATED: AtomicU64 = AtomicU64::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// `System`, counting.
pub struct CountingAlloc;

// SAFETY: every call is forwarded to `System` with the caller's arguments;
// the counter has no effect on the memory handed out.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        ALLOCATED.fetch_sub(layout.size() as u64, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            ALLOCATED.fetch_add(new_size as u64, Ordering::Relaxed);
            ALLOCATED.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }
}

impl CountingAlloc {
    /// Called by the binary that installs it, so the count is trusted.
    pub fn mark_installed() {
        INSTALLED.store(true, Ordering::Relaxed);
    }
}

/// Bytes held through the counting allocator, if it is the global one.
pub fn allocated() -> Option<u64> {
    INSTALLED
        .load(Ordering::Relaxed)
        .then(|| ALLOCATED.load(Ordering::Relaxed))
}
