// The descriptions of spa-oauth's errors, by index (src/texts.rs); scripts/build.mjs writes
// the list from the Rust sources into the package's copy of this file.
export default [];
