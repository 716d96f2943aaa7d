//! Prints the server's OpenAPI document (as served at `/api/v1/openapi.json`):
//! `cargo run -p yieldline-server --bin yieldline-openapi > crates/yieldline-server/openapi.json`.

fn main() {
    print!("{}", yieldline_server::openapi::document());
}
