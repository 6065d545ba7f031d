//! A log directory as TensorBoard sees it: every directory holding `*tfevents*` files is a
//! run, read file by file in name order (names start with the creation time), and polled
//! incrementally for new files and for records appended to existing ones.

use super::{values, EventFileReader, OnCorruption, ReadWarning};
use crate::error::{Error, ErrorKind, Result};
use crate::summary::proto::{self, event::What};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// A run of a log directory and its event files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// `"."` for the log directory itself, else the relative path with `/` separators.
    pub name: String,
    /// The run's directory.
    pub dir: PathBuf,
    /// Its event files, sorted by file name.
    pub files: Vec<PathBuf>,
}

/// The runs under `dir` (itself and every subdirectory holding event files), sorted by name
/// with `"."` first.
pub fn runs(dir: impl AsRef<Path>) -> Result<Vec<Run>> {
    let dir = dir.as_ref();
    let mut out = Vec::new();
    collect_runs(dir, dir, &mut out, true)?;
    out.sort_by(|a, b| (a.name != ".", &a.name).cmp(&(b.name != ".", &b.name)));
    Ok(out)
}

fn collect_runs(root: &Path, dir: &Path, out: &mut Vec<Run>, is_root: bool) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // A subdirectory removed while it is listed is no run, not an error.
        Err(e) if !is_root && e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io("summary", dir, &e)),
    };
    let mut files = Vec::new();
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("summary", dir, &e))?;
        // Symbolic links to directories are not followed, so a link cycle cannot recurse forever.
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            subdirs.push(entry.path());
        } else if entry.file_name().to_string_lossy().contains("tfevents") && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    if !files.is_empty() {
        files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        out.push(Run { name: run_name(root, dir), dir: dir.to_path_buf(), files });
    }
    subdirs.sort();
    for sub in subdirs {
        collect_runs(root, &sub, out, false)?;
    }
    Ok(())
}

fn run_name(root: &Path, dir: &Path) -> String {
    match dir.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"),
        Err(_) => dir.display().to_string(),
    }
}

/// One run's event files, read incrementally; remembers each tag's plugin.
#[derive(Debug)]
pub struct RunReader {
    name: String,
    dir: PathBuf,
    files: Vec<FileState>,
    on_corruption: OnCorruption,
    plugins: HashMap<String, String>,
    warnings: Vec<ReadWarning>,
}

#[derive(Debug)]
struct FileState {
    reader: EventFileReader,
    /// Set after an error with [`OnCorruption::Stop`]: the file is not read any further.
    stopped: bool,
}

impl RunReader {
    /// A reader for the run `name` in `dir`, starting before its first record.
    pub fn new(name: &str, dir: impl AsRef<Path>, on_corruption: OnCorruption) -> RunReader {
        RunReader {
            name: name.to_string(),
            dir: dir.as_ref().to_path_buf(),
            files: Vec::new(),
            on_corruption,
            plugins: HashMap::new(),
            warnings: Vec::new(),
        }
    }

    /// The run's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The run's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The event files found so far, in reading order.
    pub fn files(&self) -> Vec<&Path> {
        self.files.iter().map(|f| f.reader.path()).collect()
    }

    /// The plugin of `tag`, from the metadata of its first value read so far.
    pub fn plugin(&self, tag: &str) -> Option<&str> {
        self.plugins.get(tag).map(String::as_str)
    }

    /// Decodes a value of this run using its tag's remembered plugin.
    pub fn data(&self, value: &proto::summary::Value) -> Result<values::SummaryData> {
        values::summary_data(value, self.plugin(&value.tag))
    }

    /// Corrupt records skipped, and files stopped at, since the last call.
    pub fn take_warnings(&mut self) -> Vec<ReadWarning> {
        std::mem::take(&mut self.warnings)
    }

    /// Events added since the last poll: records appended to known files, then new files, in
    /// file-name order. A file that fails is reported as a warning and (with `Stop`) no
    /// longer read; the other files go on.
    pub fn poll(&mut self) -> Result<Vec<proto::Event>> {
        self.discover_files()?;
        let mut events = Vec::new();
        for f in self.files.iter_mut().filter(|f| !f.stopped) {
            loop {
                match f.reader.next_event() {
                    Ok(Some(e)) => events.push(e),
                    Ok(None) => break,
                    Err(e) => {
                        let offset = f.reader.offset();
                        let file = f.reader.path().to_path_buf();
                        self.warnings.push(ReadWarning { file, offset, message: format!("{e}; stopped reading") });
                        f.stopped = true;
                        break;
                    }
                }
            }
            self.warnings.extend(f.reader.take_warnings());
        }
        for e in &events {
            if let Some(What::Summary(s)) = &e.what {
                for v in &s.value {
                    if let Some(p) = values::plugin_name(v) {
                        if self.plugins.get(&v.tag).map(String::as_str) != Some(p) {
                            self.plugins.insert(v.tag.clone(), p.to_string());
                        }
                    }
                }
            }
        }
        Ok(events)
    }

    fn discover_files(&mut self) -> Result<()> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io("summary", &self.dir, &e)),
        };
        let mut added = false;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("summary", &self.dir, &e))?;
            let path = entry.path();
            if !entry.file_name().to_string_lossy().contains("tfevents") || !path.is_file() {
                continue;
            }
            if self.files.iter().any(|f| f.reader.path() == path) {
                continue;
            }
            match EventFileReader::open(&path) {
                Ok(r) => {
                    self.files.push(FileState { reader: r.on_corruption(self.on_corruption), stopped: false });
                    added = true;
                }
                // Deleted between listing and opening.
                Err(e) if e.kind == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        if added {
            self.files.sort_by(|a, b| a.reader.path().file_name().cmp(&b.reader.path().file_name()));
        }
        Ok(())
    }
}

/// New events of one run, returned by [`LogDir::poll`].
#[derive(Clone, Debug, PartialEq)]
pub struct RunUpdate {
    /// The run's name (`"."` for the log directory itself).
    pub run: String,
    /// Its events since the previous poll, in file-name then file order.
    pub events: Vec<proto::Event>,
}

/// A log directory polled repeatedly for new runs, new files and new records.
#[derive(Debug)]
pub struct LogDir {
    root: PathBuf,
    on_corruption: OnCorruption,
    runs: BTreeMap<String, RunReader>,
}

impl LogDir {
    /// A log directory reader that stops reading a file at its first corrupt record.
    pub fn open(dir: impl AsRef<Path>) -> Result<LogDir> {
        Self::open_with(dir, OnCorruption::Stop)
    }

    /// A log directory reader with the given corruption handling.
    pub fn open_with(dir: impl AsRef<Path>, on_corruption: OnCorruption) -> Result<LogDir> {
        let root = dir.as_ref().to_path_buf();
        let meta = std::fs::metadata(&root).map_err(|e| Error::io("summary", &root, &e))?;
        if !meta.is_dir() {
            return Err(Error::invalid("summary", format!("{} is not a directory", root.display())));
        }
        Ok(LogDir { root, on_corruption, runs: BTreeMap::new() })
    }

    /// The log directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The runs found so far, by name.
    pub fn runs(&self) -> impl Iterator<Item = &RunReader> {
        self.runs.values()
    }

    /// The run called `name`, if found so far.
    pub fn run(&self, name: &str) -> Option<&RunReader> {
        self.runs.get(name)
    }

    /// New events of every run since the last poll (runs without new events are left out),
    /// `"."` first, then by run name.
    pub fn poll(&mut self) -> Result<Vec<RunUpdate>> {
        for run in runs(&self.root)? {
            if !self.runs.contains_key(&run.name) {
                let reader = RunReader::new(&run.name, &run.dir, self.on_corruption);
                self.runs.insert(run.name, reader);
            }
        }
        let mut out = Vec::new();
        for (name, run) in self.runs.iter_mut() {
            let events = run.poll()?;
            if !events.is_empty() {
                out.push(RunUpdate { run: name.clone(), events });
            }
        }
        out.sort_by(|a, b| (a.run != ".", &a.run).cmp(&(b.run != ".", &b.run)));
        Ok(out)
    }

    /// Warnings of every run since the last call, as (run name, warning).
    pub fn take_warnings(&mut self) -> Vec<(String, ReadWarning)> {
        let mut out = Vec::new();
        for (name, run) in self.runs.iter_mut() {
            out.extend(run.take_warnings().into_iter().map(|w| (name.clone(), w)));
        }
        out
    }
}
