//! The allocator of the npm package's wasm, and of nothing else: it is compiled only with
//! `--cfg spa_oauth_npm`, which scripts/build.mjs passes, so a Rust app that uses the crate
//! keeps its own global allocator. std's dlmalloc is general-purpose and 2.3 KB gzip of the
//! shipped wasm; an auth library allocates little, briefly, and from one thread.
//!
//! Free lists per power-of-two size class, filled from memory the module grows: a block
//! freed goes to its class's list and is handed out again for the next request of that
//! class. Up to half a block is unused, and memory is never returned to the browser (the
//! wasm's memory cannot shrink anyway).

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;
use core::ptr::null_mut;

const PAGE: usize = 65_536;
/// Classes 2^0 .. 2^31: every size a 32-bit address space can hold.
const CLASSES: usize = 32;

struct Heap {
    /// The first free block of each class (0: none). A free block's first word links to
    /// the next.
    free: [usize; CLASSES],
    /// The unused rest of the memory grown last: `next..end`.
    next: usize,
    end: usize,
}

pub struct FreeLists(UnsafeCell<Heap>);

// wasm32-unknown-unknown without the atomics feature has one thread: no other can see
// the heap while one call runs, and GlobalAlloc calls do not nest.
unsafe impl Sync for FreeLists {}

#[global_allocator]
static ALLOCATOR: FreeLists = FreeLists(UnsafeCell::new(Heap {
    free: [0; CLASSES],
    next: 0,
    end: 0,
}));

/// The class of a layout: its size rounded up to a power of two no smaller than its
/// alignment or a link word. Blocks start at a multiple of their size (up to a page), so
/// any block of a class satisfies the alignment of every layout of that class.
fn class(layout: Layout) -> Option<(usize, usize)> {
    let size = layout
        .size()
        .max(layout.align())
        .max(core::mem::size_of::<usize>())
        .checked_next_power_of_two()?;
    let class = size.trailing_zeros() as usize;
    (class < CLASSES).then_some((class, size))
}

unsafe impl GlobalAlloc for FreeLists {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some((class, size)) = class(layout) else {
            return null_mut();
        };
        // SAFETY: one thread, no nesting (see `Sync` above).
        let heap = unsafe { &mut *self.0.get() };
        let head = heap.free[class];
        if head != 0 {
            // SAFETY: `head` is a block of this class that `dealloc` linked.
            heap.free[class] = unsafe { *(head as *const usize) };
            return head as *mut u8;
        }
        // Unchecked arithmetic, and why it cannot hand out a wrong block (checked steps cost
        // 77 B gzip for this case alone): below 4 GiB of memory every value is under 2^32
        // (`next` <= `end`, a multiple of every `align`; `start + size` is checked). A memory
        // grown to the whole 4 GiB makes `end` wrap to 0 (and `next` too, for a block ending
        // at the top): the block just grown is still right, and every later request finds no
        // room, asks to grow past the maximum, and gets null (an allocation failure). The
        // npm build is a release build: no overflow checks.
        let align = size.min(PAGE);
        let mut start = heap.next.next_multiple_of(align);
        if start.checked_add(size).is_none_or(|end| end > heap.end) {
            let pages = size.div_ceil(PAGE) + 1;
            let first = wasm32::memory_grow(0, pages);
            if first == usize::MAX {
                return null_mut();
            }
            if first * PAGE != heap.end {
                heap.next = first * PAGE; // the first growth, or memory grown by others
            }
            heap.end = (first + pages) * PAGE;
            start = heap.next.next_multiple_of(align);
        }
        heap.next = start + size;
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some((class, _)) = class(layout) else {
            return;
        };
        // SAFETY: one thread, no nesting; `ptr` came from `alloc` with this layout, so it
        // is a block of this class, at least a word long and word-aligned.
        let heap = unsafe { &mut *self.0.get() };
        unsafe { *(ptr as *mut usize) = heap.free[class] };
        heap.free[class] = ptr as usize;
    }
}
