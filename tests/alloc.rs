//! `decide` must not allocate: a counting global allocator (per thread) around the hot path.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use appraise::access::{Action, Target, decide};

use crate::world::{Rng, Shape, World};
use crate::write_rules::targets;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn decide_does_not_allocate() {
    for (seed, shape) in [
        (1, Shape::RandomTree),
        (2, Shape::LongChain),
        (3, Shape::WideFan),
        (4, Shape::Forest),
    ] {
        let w = World::generate(250, shape, seed);
        let mut rng = Rng::new(seed);
        let ctx = w.ctx();
        let reads: Vec<_> = w
            .reviews
            .iter()
            .flat_map(|r| w.candidates(r, &mut rng).into_iter().map(move |p| (p, r)))
            .map(|(p, r)| (p, w.packet_of(r), r))
            .collect();
        let ts = targets(&w, &mut rng);
        let actors: Vec<_> = w.people.iter().take(20).map(|p| p.id).collect();

        let before = allocations();
        let mut allowed = 0usize;
        for &(p, packet, r) in &reads {
            allowed += usize::from(
                decide(&ctx, p, Action::ReadReview, Target::Review(packet, r)).is_allowed(),
            );
        }
        for &t in &ts {
            for &a in &actors {
                for action in Action::ALL {
                    allowed += usize::from(decide(&ctx, a, action, t).is_allowed());
                }
            }
        }
        let after = allocations();
        assert_eq!(
            after - before,
            0,
            "decide allocated {} times (seed {seed})",
            after - before
        );
        assert!(allowed > 0, "the test should exercise allowed paths too");
    }
}
