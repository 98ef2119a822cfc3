//! segflow engine: everything that turns exports into typed Parquet and Parquet into segments, as
//! plain synchronous Rust. No AWS and no async runtime here: the Lambda handlers and the CLI wire
//! storage around it, so the engine is testable on local files.

pub mod curated;
pub mod error;
pub mod ingest;
pub mod leads;
pub mod mapping;
pub mod memory;
pub mod printable;
pub mod privacy;
pub mod schema;
pub mod scratch;
pub mod segment;
pub mod values;

pub use error::EngineError;
