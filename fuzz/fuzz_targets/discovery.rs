//! cargo fuzz run discovery: see spa_oauth::fuzz::discovery.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spa_oauth::fuzz::discovery(data));
