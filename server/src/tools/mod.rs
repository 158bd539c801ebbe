//! Benchmarks and command-line tools: the demo workspace (`seed-demo`, README command 1), the
//! benchmark (`seed-bench`, `bench-list`, `bench`), the fault drill (`drill`) and the CSV
//! import from the command line (`import-customers`, `bench-import`).

pub mod bench;
pub mod bench_http;
pub mod demo;
pub mod drill;
pub mod import_cli;
