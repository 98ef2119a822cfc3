//! Process-wide allocator settings, for the binaries that segment (the segment Lambda and the
//! CLI's `segment` command). Ingest does not use them: its Arrow and Parquet buffers are freed and
//! allocated again every batch, and with prompt release each of them would be page-faulted anew.

/// Makes glibc hand freed memory back to the system at once. By default it raises its trim and
/// mmap thresholds as large blocks are freed, and the worker threads' arenas then keep tens of MB
/// of freed pages: a segment run over 10 M rows peaked ~55 MB higher (BENCHMARKS.md). Lambda bills
/// and kills by peak memory, so a few extra page faults are the better trade.
pub fn release_freed_memory_promptly() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters, under the arenas' locks.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 20);
    }
}
