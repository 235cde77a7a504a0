//! Black-box tests over real HTTP against a spawned server (one binary, a module per feature).

mod helpers;

mod accounts;
mod actions;
mod catalog;
mod city2026;
mod cli;
mod complaints;
mod costs;
mod dialogues;
mod dossiers;
mod errors;
mod http;
mod integrity;
mod multi_server;
mod naming;
mod notifications;
mod pagination;
mod par;
mod privacy;
mod ratings;
mod screens;
mod search;
mod sessions;
mod signup;
mod tokens;
mod trust;
