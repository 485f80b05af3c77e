//! cargo fuzz run id_token: see spa_oauth::fuzz::id_token.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spa_oauth::fuzz::id_token(data));
