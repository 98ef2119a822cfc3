//! The ingest function: events in, the engine in the middle, storage around it. `main.rs` only wires
//! the AWS client and configuration; everything here is testable against any [`ObjectStore`].

pub mod config;
pub mod events;
pub mod handler;
pub mod pipeline;

pub use config::IngestConfig;
pub use handler::IngestHandler;
