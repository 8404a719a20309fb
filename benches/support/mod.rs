//! Pieces of the fan-out benchmark (`benches/fanout.rs`). Not a bench target
//! of its own: cargo only discovers `benches/*.rs` and `benches/*/main.rs`.

pub mod designs;
pub mod mem;
pub mod report;
pub mod scenarios;
pub mod workload;
