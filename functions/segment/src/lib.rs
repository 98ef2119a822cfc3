//! The segmentation function: a request in, the engine in the middle, storage around it. `main.rs`
//! only wires the AWS client and configuration.

pub mod config;
pub mod handler;
pub mod job;
pub mod request;

pub use config::SegmentConfig;
pub use handler::{FunctionError, handle};
pub use job::{JobError, JobSummary, check_run_date, run_job};
pub use request::SegmentRequest;
