//! Links the command line as a position-dependent executable on Linux/glibc. A PIE carries a
//! table of every absolute address in it, to be patched at load time: 1.7 MB of this 23 MB
//! binary (BENCHMARKS.md, "binary size"). The trade is address randomisation of the executable's
//! own code, which a local batch tool that reads files and exits can spare; the Lambda
//! bootstraps are built separately (infra/build) and stay PIE.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
