//! cargo fuzz run token_response: see spa_oauth::fuzz::token_response.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spa_oauth::fuzz::token_response(data));
