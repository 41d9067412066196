//! How much linear memory a component needs before it runs a line: the
//! largest initial size among its core modules' memories. Read from the
//! binary, so a limit too small to start the component is refused by name
//! when it loads, not reported later as a failure to instantiate.

use wasmtime::wasmparser::{Parser, Payload};

/// The largest initial size of any memory the component defines, in bytes.
pub(crate) fn initial_memory_bytes(component: &[u8]) -> u64 {
    let mut largest = 0u64;
    for payload in Parser::new(0).parse_all(component) {
        let Ok(Payload::MemorySection(memories)) = payload else { continue };
        for memory in memories.into_iter().flatten() {
            let page = 1u64 << memory.page_size_log2.unwrap_or(16);
            largest = largest.max(memory.initial.saturating_mul(page));
        }
    }
    largest
}
