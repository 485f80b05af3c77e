//! cargo fuzz run callback: see spa_oauth::fuzz::callback.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spa_oauth::fuzz::callback(data));
