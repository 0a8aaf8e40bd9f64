//! Shared by the test binaries that need outside services. A test file
//! takes it with `mod support;` (see [`redis`] for the Redis tests, [`postgres`] for the PostgreSQL ones).

pub mod postgres;
pub mod redis;
pub mod service;
pub mod skip;
