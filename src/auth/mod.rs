//! Authentication: JWT issue and verification, password hashing, the `Actor` making a request,
//! and the rate limits. Authorization rules live in `crate::access`; this module only says who
//! is asking.

pub mod actor;
pub mod jwt;
pub mod limits;
pub mod password;
pub mod rate_limit;

pub use actor::{Actor, Principal};
pub use entity::account::Role;
pub use jwt::{Claims, Keys, TokenFor};
