//! What both Lambda functions need beyond `lambda_runtime`: logging ([`init_logging`]) and
//! start-up failures. lambda_runtime
//! reports errors of invocations itself, but an error met before
//! the runtime starts (an invalid configuration) would only end the process, and Lambda would
//! answer every invocation with a bare `Runtime.ExitError`. [`init_failed`] prints the error on one
//! line and posts it to the Runtime API's `/runtime/init/error`, so the invoke response and the
//! logs say what to fix.

use std::process::ExitCode;

use lambda_runtime::Diagnostic;
use lambda_runtime_api_client::{BoxError, PooledClient, body::Body, build_request};

/// Logs as `lambda_runtime::tracing::init_default_subscriber` does (stdout, no time or target,
/// JSON when `AWS_LAMBDA_LOG_FORMAT` is `JSON`, the level of `AWS_LAMBDA_LOG_LEVEL`, else
/// `RUST_LOG`, else INFO), but filtered by target and level only: its `EnvFilter` brings a regex
/// engine, 0.7 MB of each bootstrap, for span and field filters the functions never need.
pub fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let format = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time()
        .with_writer(std::io::stdout);
    let registry = tracing_subscriber::registry().with(log_filter(
        level.as_deref(),
        tracing_subscriber::filter::LevelFilter::INFO,
    ));
    match std::env::var("AWS_LAMBDA_LOG_FORMAT") {
        Ok(f) if f.eq_ignore_ascii_case("json") => registry.with(format.json()).init(),
        _ => registry.with(format).init(),
    }
}

/// The filter a log level setting gives: a level (`DEBUG`, `warn`), or targets with levels
/// (`warn,segflow_engine=debug`); `default` when unset or unreadable, and for the targets a
/// setting names no level for. The command line reads `RUST_LOG` with it too (WARN by default).
pub fn log_filter(
    setting: Option<&str>,
    default: tracing_subscriber::filter::LevelFilter,
) -> tracing_subscriber::filter::Targets {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    let targets = match setting.map(str::trim).filter(|s| !s.is_empty()) {
        None => Targets::new().with_default(default),
        Some(s) => match s.parse::<LevelFilter>() {
            Ok(level) => Targets::new().with_default(level),
            Err(_) => {
                let targets = s.parse::<Targets>().unwrap_or_default();
                match targets.default_level() {
                    Some(_) => targets,
                    None => targets.with_default(default),
                }
            }
        },
    };
    // Logs never hold customer rows, at any level.
    WIRE_CRATES
        .iter()
        .fold(targets, |t, c| match t.would_enable(c, &tracing::Level::TRACE) {
            true => t.with_target(*c, LevelFilter::DEBUG),
            false => t,
        })
}

/// Crates under the S3 client whose TRACE level prints what goes over the wire (hyper's "remaining
/// chunk data": the bodies put and got, curated rows and quarantined lines among them): capped at
/// DEBUG whatever the setting.
const WIRE_CRATES: [&str; 7] = [
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
    "aws_smithy_runtime",
    "aws_smithy_http",
    "aws_smithy_http_client",
];

/// The exit code once the runtime's loop has ended (it only ends on an error of its own).
pub fn stopped<E: std::fmt::Display>(run: Result<(), E>) -> ExitCode {
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("the Lambda runtime stopped: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reports `error` as the function's initialisation error and returns the exit code to end with.
/// Outside Lambda (no `AWS_LAMBDA_RUNTIME_API`) it only prints.
pub async fn init_failed(error: impl Into<Diagnostic>) -> ExitCode {
    let error = error.into();
    eprintln!("{}: {}", error.error_type, error.error_message);
    if let Some(api) = std::env::var("AWS_LAMBDA_RUNTIME_API")
        .ok()
        .filter(|a| !a.is_empty())
        && let Err(e) = report_init_error(&api, &error).await
    {
        eprintln!("could not report the error to the Lambda Runtime API: {e}");
    }
    ExitCode::FAILURE
}

/// Posts `{"errorType", "errorMessage"}` to `<api>/2018-06-01/runtime/init/error`.
pub async fn report_init_error(api: &str, diagnostic: &Diagnostic) -> Result<(), BoxError> {
    let client = PooledClient::builder().with_endpoint(api.parse()?).build();
    let req = build_request()
        .method("POST")
        .uri("/2018-06-01/runtime/init/error")
        .header("lambda-runtime-function-error-type", "Runtime.InitError")
        .body(Body::from(serde_json::to_vec(diagnostic)?))?;
    let resp = client.call(req).await?;
    if !resp.status().is_success() {
        return Err(format!("the Runtime API answered {}", resp.status()).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    use tracing::Level;
    use tracing_subscriber::filter::{LevelFilter, Targets};

    const INFO: LevelFilter = LevelFilter::INFO;

    /// What a filter lets through, for a target at each level.
    fn passes(f: &Targets, target: &str) -> Vec<Level> {
        [Level::ERROR, Level::WARN, Level::INFO, Level::DEBUG, Level::TRACE]
            .into_iter()
            .filter(|l| f.would_enable(target, l))
            .collect()
    }

    /// Lambda's log level setting (upper case, as the console writes it), `RUST_LOG`'s forms, and
    /// INFO for anything else, as lambda_runtime's default subscriber reads them.
    #[test]
    fn log_levels_read_as_lambda_runtime_reads_them() {
        let info = vec![Level::ERROR, Level::WARN, Level::INFO];
        assert_eq!(passes(&log_filter(None, INFO), "segflow_engine"), info);
        assert_eq!(passes(&log_filter(Some(""), INFO), "x"), info);
        assert_eq!(passes(&log_filter(Some("no such level!"), INFO), "x"), info);
        assert_eq!(passes(&log_filter(Some("INFO"), INFO), "x"), info);
        assert_eq!(
            passes(&log_filter(Some("WARN"), INFO), "x"),
            [Level::ERROR, Level::WARN]
        );
        assert_eq!(passes(&log_filter(Some("debug"), INFO), "x").len(), 4);
        let mixed = log_filter(Some("warn,segflow_engine=debug"), INFO);
        assert_eq!(passes(&mixed, "segflow_engine::segment").len(), 4);
        assert_eq!(passes(&mixed, "aws_smithy_runtime"), [Level::ERROR, Level::WARN]);
        // The command line's default, WARN, for what a setting leaves open.
        let cli = log_filter(Some("segflow_engine=debug"), LevelFilter::WARN);
        assert_eq!(passes(&cli, "segflow_engine").len(), 4);
        assert_eq!(passes(&cli, "aws_config"), [Level::ERROR, Level::WARN]);
        assert_eq!(
            passes(&log_filter(None, LevelFilter::WARN), "x"),
            [Level::ERROR, Level::WARN]
        );
        // TRACE everywhere but where the wire's bytes would be printed.
        let trace = log_filter(Some("TRACE"), INFO);
        assert_eq!(passes(&trace, "segflow_engine").len(), 5);
        for wire in ["hyper::proto::h1::decode", "h2", "aws_smithy_runtime::client"] {
            assert_eq!(passes(&trace, wire).len(), 4, "{wire}");
        }
        assert_eq!(passes(&log_filter(Some("hyper=trace"), INFO), "hyper").len(), 4);
        assert_eq!(passes(&log_filter(Some("WARN"), INFO), "hyper").len(), 2);
    }
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// What Lambda's Runtime API receives: a POST to /runtime/init/error with the error's type
    /// and message as JSON.
    #[tokio::test]
    async fn a_start_up_error_is_posted_to_the_runtime_api() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Headers, then the body up to its Content-Length.
            loop {
                let n = socket.read(&mut buf).await.unwrap();
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if body.len() >= len || n == 0 {
                        break;
                    }
                }
            }
            socket
                .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8(request).unwrap()
        });
        let error = Diagnostic {
            error_type: "Config".into(),
            error_message: "configuration: SEGFLOW_TIMEZONE: unknown time zone \"Mars/Olympus\"".into(),
        };
        report_init_error(&api, &error).await.expect("reported");
        let request = server.await.unwrap();
        assert!(
            request.starts_with("POST /2018-06-01/runtime/init/error HTTP/1.1"),
            "{request}"
        );
        let body = request.split_once("\r\n\r\n").unwrap().1;
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"errorType": "Config",
                "errorMessage": "configuration: SEGFLOW_TIMEZONE: unknown time zone \"Mars/Olympus\""})
        );
    }
}
