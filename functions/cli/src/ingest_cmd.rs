use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use segflow_engine::ingest::IngestOptions;
use segflow_engine::mapping::MappingOverride;
use segflow_engine::printable::Printable;
use segflow_engine::schema::Dataset;
use segflow_ingest_fn::config::{IngestConfig, parse_date_order, parse_phone_country};
use segflow_ingest_fn::pipeline::{self, Summary};
use segflow_storage::{AnyStore, LocalStore, ObjectStore};

use crate::{DatasetArg, IngestArgs};

pub(crate) fn options(args: &IngestArgs) -> Result<IngestOptions> {
    let mut opts = IngestConfig::from_env()?.engine_options();
    if let Some(tz) = &args.timezone {
        opts.timezone = crate::segment_cmd::timezone(tz)?;
    }
    if let Some(o) = &args.date_order {
        opts.date_order = parse_date_order(o)?;
    }
    if let Some(c) = &args.phone_country {
        opts.phone_country = Some(parse_phone_country(c)?);
    }
    if let Some(p) = &args.mapping {
        let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        opts.mapping = Some(MappingOverride::from_json(&text)?);
    }
    opts.dataset = args.dataset.map(|d| match d {
        DatasetArg::Sales => Dataset::Sales,
        DatasetArg::Customers => Dataset::Customers,
        DatasetArg::Activity => Dataset::Activity,
    });
    Ok(opts)
}

/// Whether `dir` is the root of a segflow output (`curated/` beside `reports/`, `state/` or
/// `segments/`): `run shop --out shop/out` a second time would read its own lists back as
/// customer lists, and a refusal in them would stand for ever.
fn is_output_root(dir: &Path) -> bool {
    dir.join("curated").is_dir()
        && ["reports", "state", "segments"]
            .iter()
            .any(|d| dir.join(d).is_dir())
}

/// Files under a folder, in a stable order, skipping hidden files and segflow's own output
/// folders. Links to files are followed; links to folders are not (one pointing back up would
/// never end), and are named in a warning. So are pipes, sockets, devices and broken links: no
/// export, and reading a pipe would wait for a writer that may never come.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let linked = e.file_type().is_ok_and(|t| t.is_symlink());
        if p.is_dir() {
            if linked {
                eprintln!("warning: {} is a link to a folder; not followed", shown(&p));
            } else if is_output_root(&p) {
                eprintln!("note: {} holds segflow's outputs; not read as exports", shown(&p));
            } else {
                walk(&p, out)?;
            }
        } else if p.is_file() {
            out.push(p);
        } else {
            eprintln!(
                "warning: {} is not a regular file (a pipe, socket or device, or a broken link); skipped",
                p.display()
            );
        }
    }
    Ok(())
}

/// The key a local file is known by: the same as if its folder had been uploaded to `incoming/`, so
/// local and cloud runs name their outputs alike and two files of one name in different folders
/// stay distinct. The dataset comes from `--dataset`, else from a folder named after a dataset.
fn local_key(root: &Path, file: &Path, dataset: Option<Dataset>) -> String {
    let rel = file
        .strip_prefix(root)
        .ok()
        .filter(|r| !r.as_os_str().is_empty())
        .unwrap_or(file);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let rel_name = match file.strip_prefix(root) {
        Ok(r) if !r.as_os_str().is_empty() => parts.join("/"),
        _ => file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    match dataset.or_else(|| folder_dataset(file)) {
        Some(d) => {
            // The dataset folder moves to the front, where the key restates it; folders above it
            // (one per shop, say) are kept after it, so `shopA/sales/orders.csv` and
            // `shopB/sales/orders.csv` stay two sources. A leading `incoming` (a copy of the
            // bucket's layout) is the key's own prefix.
            let tail = match parts.iter().position(|p| p == d.name()) {
                Some(i) if i + 1 < parts.len() => parts[..i]
                    .iter()
                    .skip_while(|p| *p == "incoming")
                    .chain(&parts[i + 1..])
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("/"),
                _ => rel_name,
            };
            format!("incoming/{}/{}", d.name(), tail)
        }
        None => format!("incoming/{rel_name}"),
    }
}

/// The dataset a folder above `file` is named after (`…/sales/2023/orders.csv`).
fn folder_dataset(file: &Path) -> Option<Dataset> {
    file.ancestors()
        .skip(1)
        .filter_map(|a| a.file_name())
        .find_map(|n| Dataset::from_name(&n.to_string_lossy()))
}

/// The files of a local input and the root their keys are relative to.
fn local_files(input: &str) -> Result<(PathBuf, Vec<PathBuf>)> {
    let path = PathBuf::from(input);
    let mut files = Vec::new();
    if path.is_dir() {
        walk(&path, &mut files)?;
        Ok((path, linked_twins_skipped(files)))
    } else if path.is_file() {
        let root = path.parent().unwrap_or(Path::new("")).to_path_buf();
        Ok((root, vec![path]))
    } else if path.exists() {
        bail!("{input}: not a regular file or folder (a pipe, socket or device)");
    } else {
        bail!("{input}: no such file or folder");
    }
}

/// The walked files less links to a file the walk also reaches: one file under two keys would
/// store its rows twice, and refusing the run (as for a file passed twice) would stop every
/// other export over a link the user may not know is there. The file kept is the one reached
/// without a link, else the first link in walk order, so the key does not depend on which one
/// `read_dir` lists first.
fn linked_twins_skipped(files: Vec<PathBuf>) -> Vec<PathBuf> {
    let is_link = |p: &Path| p.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink());
    let real = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let mut keeper: std::collections::HashMap<PathBuf, &PathBuf> = std::collections::HashMap::new();
    for file in &files {
        let slot = keeper.entry(real(file)).or_insert(file);
        if is_link(slot) && !is_link(file) {
            *slot = file;
        }
    }
    let mut kept = Vec::with_capacity(files.len());
    for file in &files {
        let first = keeper[&real(file)];
        if first == file {
            kept.push(file.clone());
        } else {
            eprintln!(
                "warning: {} is a link to {}, which this folder also holds; skipped",
                shown(file),
                shown(first)
            );
        }
    }
    kept
}

/// The local files of each input (none for `s3://` inputs) with their keys, walked once. Two
/// different files under one key would overwrite each other's rows: refused before anything is
/// written.
fn local_plan(inputs: &[String], opts: &IngestOptions) -> Result<Vec<Vec<(PathBuf, String)>>> {
    let mut seen: std::collections::HashMap<String, PathBuf> = std::collections::HashMap::new();
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    // One file reached two ways (alone and inside a folder) would get two keys: its rows twice.
    let mut keyed: std::collections::HashMap<PathBuf, String> = std::collections::HashMap::new();
    let mut plan = Vec::with_capacity(inputs.len());
    for input in inputs {
        if segflow_storage::parse_s3_uri(input).is_some() {
            plan.push(Vec::new());
            continue;
        }
        let (root, files) = local_files(input)?;
        let mut planned = Vec::with_capacity(files.len());
        for file in files {
            // A loose file is keyed by the dataset its header shows, as an upload would be by its
            // folder: else `ingest orders.csv` and `ingest --dataset sales orders.csv` would store
            // the same file as two sources, its rows twice.
            let dataset = opts.dataset.or_else(|| folder_dataset(&file)).or_else(|| {
                segflow_engine::ingest::guess_dataset(&file, &file.to_string_lossy(), opts.limits)
            });
            let key = local_key(&root, &file, dataset);
            let real = file.canonicalize().unwrap_or_else(|_| file.clone());
            match keyed.get(&real) {
                Some(other) if *other != key => bail!(
                    "{} is given twice, which would store it as {} and as {}: pass it once \
                     (keys are the path below the folder you pass, so pass the same folder each time)",
                    shown(&file),
                    Printable(other),
                    Printable(&key)
                ),
                Some(_) => {}
                None => {
                    keyed.insert(real, key.clone());
                }
            }
            match seen.get(&key) {
                Some(first) if !same(first, &file) => bail!(
                    "{} and {} would both be stored as {} and overwrite each other: rename one, or \
                     ingest the folder that holds both",
                    shown(first),
                    shown(&file),
                    Printable(&key)
                ),
                Some(_) => {}
                None => {
                    seen.insert(key.clone(), file.clone());
                }
            }
            planned.push((file, key));
        }
        plan.push(planned);
    }
    Ok(plan)
}

pub async fn ingest(inputs: &[String], out: &str, args: &IngestArgs) -> Result<()> {
    check(&ingest_all(inputs, out, args).await?)
}

/// Ingests every input and prints the table: the summary of each file, those that could not be
/// ingested among them (see [`check`]).
pub async fn ingest_all(inputs: &[String], out: &str, args: &IngestArgs) -> Result<Vec<Summary>> {
    let opts = options(args)?;
    let plan = local_plan(inputs, &opts)?;
    let output = AnyStore::open(out).await;
    let work = tempfile::tempdir()?;
    let mut summaries: Vec<Summary> = Vec::new();
    // Files whose dates were read by their chronology or day-first for want of evidence, in this
    // run or an earlier one (skipped now as unchanged), by their place in `summaries`: a file
    // after them in this run may show their layout's order (the weekly export sorts after the
    // daily one, or was added since the last run), and they are read again then.
    let mut guessed: Vec<(usize, Again)> = Vec::new();
    for (input, planned) in inputs.iter().zip(plan) {
        if let Some((bucket, prefix)) = segflow_storage::parse_s3_uri(input) {
            let store = AnyStore::open(&format!("s3://{bucket}")).await;
            let keys = match store.head(&prefix).await? {
                Some(_) => vec![prefix.clone()],
                None => store
                    .list(&prefix)
                    .await?
                    .into_iter()
                    .map(|m| m.key)
                    .filter(|k| !k.ends_with('/'))
                    .collect(),
            };
            if keys.is_empty() {
                bail!("{input}: no such object or prefix");
            }
            for key in keys {
                let s = pipeline::ingest_object(&store, &key, None, &output, &opts, work.path()).await?;
                if s.date_order_guessed.is_some() {
                    guessed.push((summaries.len(), Again::Object(bucket.clone(), key)));
                }
                summaries.push(s);
            }
            continue;
        }
        for (file, key) in planned {
            let dir = file.parent().unwrap_or(Path::new("."));
            let name = file
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let mut meta = LocalStore::new(dir).head(&name).await?.context("file vanished")?;
            meta.key = key;
            let mut o = opts.clone();
            o.dataset = o.dataset.or_else(|| pipeline::dataset_of_key(&meta.key));
            if let Some(previous) =
                pipeline::previous_ingest(&output, &meta, opts.phone_country.map(|c| c.iso), opts.date_order)
                    .await?
            {
                if previous.date_order_guessed.is_some() {
                    guessed.push((summaries.len(), Again::File(file.clone(), meta, Box::new(o))));
                }
                summaries.push(previous);
                continue;
            }
            let job = tempfile::tempdir_in(work.path())?;
            let s = pipeline::process_file(
                &file,
                meta.clone(),
                file.display().to_string(),
                &output,
                &o,
                job.path(),
            )
            .await?;
            if s.date_order_guessed.is_some() {
                guessed.push((summaries.len(), Again::File(file.clone(), meta, Box::new(o))));
            }
            summaries.push(s);
        }
    }
    for (i, again) in guessed {
        // Read again only when the order is known now (`previous_ingest` says whether).
        let s = match again {
            Again::Object(bucket, key) => {
                let store = AnyStore::open(&format!("s3://{bucket}")).await;
                pipeline::ingest_object(&store, &key, None, &output, &opts, work.path()).await?
            }
            Again::File(file, meta, o) => {
                match pipeline::previous_ingest(&output, &meta, o.phone_country.map(|c| c.iso), o.date_order)
                    .await?
                {
                    Some(_) => continue,
                    None => {
                        let job = tempfile::tempdir_in(work.path())?;
                        pipeline::process_file(
                            &file,
                            meta,
                            file.display().to_string(),
                            &output,
                            &o,
                            job.path(),
                        )
                        .await?
                    }
                }
            }
        };
        if s.outcome != "duplicate" {
            summaries[i] = s;
        }
    }
    print_table(&summaries);
    Ok(summaries)
}

/// A file to read again once its layout's date order is known.
enum Again {
    Object(String, String),
    File(
        std::path::PathBuf,
        segflow_storage::ObjectMeta,
        Box<IngestOptions>,
    ),
}

/// Fails when a file could not be ingested, naming each with its reason.
pub fn check(summaries: &[Summary]) -> Result<()> {
    // A rejected file delivered again unchanged is still rejected: a re-run must not succeed.
    let rejected: Vec<&Summary> = summaries
        .iter()
        .filter(|s| {
            matches!(s.outcome, "rejected" | "failed") || (s.outcome == "duplicate" && s.error.is_some())
        })
        .collect();
    if !rejected.is_empty() {
        let lines: Vec<String> = rejected
            .iter()
            .map(|s| {
                format!(
                    "  {}: {}",
                    Printable(&s.key),
                    Printable(s.error.as_deref().unwrap_or("rejected"))
                )
            })
            .collect();
        bail!(
            "{} input(s) could not be ingested (see their reports):\n{}",
            rejected.len(),
            lines.join("\n")
        );
    }
    Ok(())
}

/// Why `run` found no sales to segment after ingesting `dir` into `out`, from what its ingest gave:
/// which files were read as sales, how many of their rows were read and rejected, and where the
/// rejected rows (`quarantine/`) and the reports are. "Ingest some exports first" would send the
/// user back to what they just did. A file delivered again unchanged (a re-run) is counted from
/// the report of the ingest that read it.
pub async fn no_sales_rows(out: &str, dir: &Path, summaries: &[Summary]) -> String {
    let at = |key: &str| format!("{}/{}", out.trim_end_matches('/'), Printable(key));
    let list = |keys: &[String]| keys.iter().map(|k| at(k)).collect::<Vec<_>>().join(", ");
    if summaries.is_empty() {
        return format!("no export files under {}", shown(dir));
    }
    let sales: Vec<&Summary> = summaries
        .iter()
        .filter(|s| s.dataset == Some(Dataset::Sales.name()))
        .collect();
    if sales.is_empty() {
        let reports: Vec<String> = summaries.iter().filter_map(|s| s.report.clone()).collect();
        return format!(
            "no export was read as sales (orders), which segmentation needs{}",
            if reports.is_empty() {
                String::new()
            } else {
                format!("; see the reports in {}", list(&reports))
            }
        );
    }
    let store = AnyStore::open(out).await;
    let (mut read, mut rejected) = (0u64, 0u64);
    let (mut quarantine, mut reports) = (Vec::new(), Vec::new());
    for s in sales {
        let report = match &s.report {
            Some(key) => store
                .get(key)
                .await
                .ok()
                .flatten()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok()),
            None => None,
        };
        let rows = |field: &str, fallback: u64| {
            report
                .as_ref()
                .and_then(|r| r["rows"][field].as_u64())
                .unwrap_or(fallback)
        };
        read += rows("read", s.rows_read);
        rejected += rows("rejected", s.rows_rejected);
        if let Some(q) = report.as_ref().and_then(|r| r["quarantine"].as_str()) {
            quarantine.push(q.to_string());
        }
        reports.extend(s.report.clone());
    }
    let count = |n: u64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let mut text = format!(
        "the exports gave no usable sales rows: {} read, {rejected} rejected",
        count(read, "row")
    );
    if !quarantine.is_empty() {
        text += &format!("; the rejected rows are in {}", list(&quarantine));
    }
    if !reports.is_empty() {
        text += &format!(
            "; {} in {}",
            if rejected > 0 {
                "the reasons"
            } else {
                "see the report"
            },
            list(&reports)
        );
    }
    text
}

/// A path as printed: a file name may hold line breaks and escape sequences, which are escaped
/// so that they cannot forge a line of the table or of a message, nor reach the terminal.
fn shown(path: &Path) -> String {
    Printable(&path.display().to_string()).to_string()
}

/// Keys (file names) are printed with their control characters escaped, see [`shown`].
fn print_table(summaries: &[Summary]) {
    println!(
        "{:<10} {:<10} {:>10} {:>10} {:>10}  source",
        "outcome", "dataset", "read", "written", "rejected"
    );
    for s in summaries {
        println!(
            "{:<10} {:<10} {:>10} {:>10} {:>10}  {}",
            s.outcome,
            s.dataset.unwrap_or("-"),
            s.rows_read,
            s.rows_written,
            s.rows_rejected,
            Printable(&s.key)
        );
    }
    for s in summaries {
        if let Some(note) = &s.note {
            eprintln!("note: {}: {}", Printable(&s.key), Printable(note));
        }
        for w in &s.warnings {
            eprintln!("warning: {}: {}", Printable(&s.key), Printable(w));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_keys_follow_the_bucket_layout() {
        let k = |root: &str, file: &str, d| local_key(Path::new(root), Path::new(file), d);
        assert_eq!(k("fx", "fx/sales/2011/a.csv", None), "incoming/sales/2011/a.csv");
        assert_eq!(k("fx/sales", "fx/sales/a.csv", None), "incoming/sales/a.csv");
        assert_eq!(k("dl", "dl/a.csv", None), "incoming/a.csv");
        assert_eq!(
            k("dl", "dl/x/a.csv", Some(Dataset::Customers)),
            "incoming/customers/x/a.csv"
        );
        assert_eq!(k("", "a.csv", Some(Dataset::Sales)), "incoming/sales/a.csv");
        // One folder per shop: the same file name stays two sources.
        assert_eq!(
            k("c", "c/shopA/sales/orders.csv", None),
            "incoming/sales/shopA/orders.csv"
        );
        assert_eq!(
            k("c", "c/shopB/sales/orders.csv", None),
            "incoming/sales/shopB/orders.csv"
        );
        // A copy of the bucket layout.
        assert_eq!(k("b", "b/incoming/sales/x.csv", None), "incoming/sales/x.csv");
    }

    #[test]
    fn a_loose_file_is_keyed_by_the_dataset_its_header_shows() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("orders.csv");
        std::fs::write(
            &file,
            "order_id,customer_id,order_date,quantity,unit_price\n1,c1,2023-01-02,1,10\n",
        )
        .unwrap();
        let key = |dataset| {
            let opts = IngestOptions {
                dataset,
                ..IngestOptions::default()
            };
            local_plan(&[file.display().to_string()], &opts).unwrap()[0][0]
                .1
                .clone()
        };
        assert_eq!(key(None), "incoming/sales/orders.csv");
        assert_eq!(key(Some(Dataset::Sales)), "incoming/sales/orders.csv");
        // The flag still wins over the header.
        assert_eq!(key(Some(Dataset::Customers)), "incoming/customers/orders.csv");
    }

    #[cfg(unix)]
    #[test]
    fn links_to_folders_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let sales = dir.path().join("sales");
        std::fs::create_dir_all(&sales).unwrap();
        std::fs::write(sales.join("a.csv"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path(), sales.join("loop")).unwrap();
        std::os::unix::fs::symlink(sales.join("a.csv"), sales.join("b.csv")).unwrap();
        let mut files = Vec::new();
        walk(dir.path(), &mut files).unwrap();
        assert_eq!(files, [sales.join("a.csv"), sales.join("b.csv")]);
    }

    /// A pipe or socket in a folder (the fuzz review's FIFO stopped the whole run with "file
    /// vanished") and a broken link are skipped with a warning; the files beside them are read.
    /// Given by name, such a file is refused saying what it is.
    #[cfg(unix)]
    #[test]
    fn pipes_sockets_and_broken_links_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let sales = dir.path().join("sales");
        std::fs::create_dir_all(&sales).unwrap();
        std::fs::write(sales.join("a.csv"), "x").unwrap();
        let fifo = sales.join("p.csv");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let _socket = std::os::unix::net::UnixListener::bind(sales.join("s.csv")).unwrap();
        std::os::unix::fs::symlink(sales.join("gone.csv"), sales.join("t.csv")).unwrap();
        let mut files = Vec::new();
        walk(dir.path(), &mut files).unwrap();
        assert_eq!(files, [sales.join("a.csv")]);
        let err = local_files(&fifo.display().to_string()).unwrap_err().to_string();
        assert!(
            err.ends_with("not a regular file or folder (a pipe, socket or device)"),
            "{err}"
        );
    }

    /// A link to a file of the same folder is skipped whichever of the two the walk meets first,
    /// and the real file keeps its own key; two links to one outside file keep the first.
    #[test]
    fn links_to_a_file_the_walk_also_reaches_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let sales = dir.path().join("sales");
        std::fs::create_dir_all(sales.join("sub")).unwrap();
        std::fs::write(sales.join("m.csv"), "x").unwrap();
        std::os::unix::fs::symlink("m.csv", sales.join("a_link.csv")).unwrap();
        std::os::unix::fs::symlink("m.csv", sales.join("z_link.csv")).unwrap();
        std::os::unix::fs::symlink("../m.csv", sales.join("sub").join("b.csv")).unwrap();
        std::fs::write(outside.path().join("o.csv"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path().join("o.csv"), sales.join("o1.csv")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("o.csv"), sales.join("o2.csv")).unwrap();
        let root = dir.path().display().to_string();
        let (_, files) = local_files(&root).unwrap();
        assert_eq!(files, [sales.join("m.csv"), sales.join("o1.csv")]);
        let plan = local_plan(&[root], &IngestOptions::default()).unwrap();
        let keys: Vec<&str> = plan[0].iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(keys, ["incoming/sales/m.csv", "incoming/sales/o1.csv"]);
    }

    #[test]
    fn two_files_under_one_key_are_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        for shop in ["a", "b"] {
            std::fs::create_dir_all(dir.path().join(shop)).unwrap();
            std::fs::write(dir.path().join(shop).join("orders.csv"), "x").unwrap();
        }
        let file = |shop: &str| dir.path().join(shop).join("orders.csv").display().to_string();
        let err = local_plan(&[file("a"), file("b")], &IngestOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("would both be stored as incoming/orders.csv"),
            "{err}"
        );
        // The same file twice is one source (the second is skipped as a duplicate later).
        assert_eq!(
            local_plan(&[file("a"), file("a")], &IngestOptions::default())
                .unwrap()
                .len(),
            2
        );
        // Their common folder keeps them apart.
        let plan = local_plan(&[dir.path().display().to_string()], &IngestOptions::default()).unwrap();
        let keys: Vec<&str> = plan[0].iter().map(|(_, k)| k.as_str()).collect();
        assert_eq!(keys, ["incoming/a/orders.csv", "incoming/b/orders.csv"]);
        // The same file alone and inside that folder would be two sources with the same rows.
        let err = local_plan(
            &[file("a"), dir.path().display().to_string()],
            &IngestOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("is given twice"), "{err}");
    }
}
