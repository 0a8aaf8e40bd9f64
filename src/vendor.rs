//! The vendor's own data, as its API sends and takes it: the result codes,
//! the evidence record and its query, and the session-start bodies
//! [`FaceIdClient`](crate::client::FaceIdClient) sends. Everything else the
//! wire carries (tokens, tickets, envelopes) stays inside the crate.
//!
//! Field names follow the vendor's JSON; secrets and personal data are
//! [`Secret`](crate::Secret)s, so `Debug` never shows them.
//!
//! ```
//! use tencent_faceid::vendor::{Files, ResultCode};
//! assert!(ResultCode::from_code("0").is_success());
//! assert_eq!(Files::PhotoAndVideo.get_file(), Some("1"));
//! ```

pub use crate::result_code::{FrontEndCode, ResultCode};
pub use crate::result_query::{
    Evidence, FaceResult, Files, QUERY_VERSION, QueryOptions, VerificationResult,
};
pub use crate::wire::{
    FaceIdRequest, FaceIdResult, SourcePhotoType, StartRequest, StartResult, VERSION,
};
