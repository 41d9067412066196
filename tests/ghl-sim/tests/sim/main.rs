//! Integration tests of the simulator over real HTTP on 127.0.0.1 (one test binary).

mod admin;
mod binary;
mod checks;
mod common;
mod oauth;
mod oauth_spec;
mod openapi;
mod spec;
mod stats;
mod tags;
mod traffic;
