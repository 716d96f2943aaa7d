//! The committed OpenAPI document is what the server serves. When this fails, the
//! routes' annotations changed: regenerate the file with
//! `cargo run -p yieldline-server --bin yieldline-openapi > crates/yieldline-server/openapi.json`.

use std::io::Read;

use yieldline_server::{Limits, ServerState, start};

const COMMITTED: &str = include_str!("../openapi.json");

#[test]
fn the_committed_document_is_the_served_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).expect("mkdir");
    std::fs::write(ws.join("line.toml"), yieldline_core::line::TEMPLATE).expect("line");
    let state = ServerState::open(&[ws], Limits::default()).expect("state");
    let server = start("127.0.0.1:0", state).expect("start");
    let mut resp = ureq::get(&format!("{}/api/v1/openapi.json", server.url()))
        .call()
        .expect("get");
    assert_eq!(resp.status().as_u16(), 200);
    let mut served = String::new();
    resp.body_mut()
        .as_reader()
        .read_to_string(&mut served)
        .expect("body");
    assert!(
        served == COMMITTED,
        "crates/yieldline-server/openapi.json is stale: regenerate it with \
         `cargo run -p yieldline-server --bin yieldline-openapi > crates/yieldline-server/openapi.json`"
    );
    let doc: serde_json::Value = serde_json::from_str(&served).expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    // Every route the router has is documented.
    for p in [
        "/healthz",
        "/api/v1/openapi.json",
        "/api/v1/workspaces/{ws}/report",
        "/api/v1/workspaces/{ws}/drift",
        "/api/v1/workspaces/{ws}/plan",
        "/api/v1/workspaces/{ws}/watch",
        "/api/v1/workspaces/{ws}/dispatch",
        "/api/v1/workspaces/{ws}/experiments",
        "/api/v1/workspaces/{ws}/experiments/{id}/analysis",
        "/api/v1/workspaces/{ws}/experiments/{id}/stop",
        "/api/v1/workspaces/{ws}/events",
        "/api/v1/workspaces/{ws}/territory",
        "/api/v1/workspaces/{ws}/suppressions",
        "/api/v1/workspaces/{ws}/suppressions/{id}",
        "/api/v1/workspaces/{ws}/erasures",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} is not documented");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    server.stop().expect("stop");
}

#[test]
fn workspaces_are_discovered_under_a_root_and_names_are_unique() {
    let dir = tempfile::tempdir().expect("tmp");
    for name in ["one", "two"] {
        let ws = dir.path().join(name);
        std::fs::create_dir_all(&ws).expect("mkdir");
        std::fs::write(ws.join("line.toml"), yieldline_core::line::TEMPLATE).expect("line");
    }
    std::fs::create_dir_all(dir.path().join("not-a-workspace")).expect("mkdir");
    let found = yieldline_server::discover(dir.path()).expect("discover");
    let names: Vec<String> = found
        .iter()
        .map(|p| yieldline_server::name_of(p).expect("name"))
        .collect();
    assert_eq!(names, ["one", "two"]);
    let twice = [found[0].clone(), found[0].clone()];
    assert!(matches!(
        ServerState::open(&twice, Limits::default()),
        Err(yieldline_server::ServerError::DuplicateName(n)) if n == "one"
    ));
    assert!(matches!(
        ServerState::open(&[], Limits::default()),
        Err(yieldline_server::ServerError::Nothing)
    ));
}
