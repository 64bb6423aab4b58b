//! The background writer of the bytecode cache: an importing thread compiles and hands the
//! marshalled code over; the writer collects a process's new entries and writes them, one new
//! pack per wheel touched, at a few points of the process's life.
//!
//! A cold import then pays for compiling only, not for the file system calls of its entries, and
//! a wheel's pack is rewritten a few times per process, not once per module. What is queued is
//! written by `flush` (which the interpreter's exit calls), by the writer's own thread once the
//! queue has been idle for a while (so a long-running server's work is kept), and early when it
//! grows heavy; it is bounded in memory (past the cap the caller writes), and safe across
//! `fork`: a child finds that the thread in its memory belongs to its parent and starts its own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use super::bytecode::BytecodeCache;
use super::pack::{PackEntry, SourceStamp};

/// How many bytes of marshalled code may wait to be written before callers write them.
pub const QUEUE_CAP: usize = 64 << 20;

/// How long the queue must stay idle before the writer thread writes it.
pub const IDLE: Duration = Duration::from_secs(1);

/// One entry to write: the wheel, what the entry must match, and the marshalled code.
#[derive(Debug)]
pub struct Job {
    wheel: PathBuf,
    member: String,
    crc32: u32,
    size: u64,
    code: Vec<u8>,
}

impl Job {
    pub fn new(wheel: &Path, stamp: SourceStamp<'_>, code: Vec<u8>) -> Self {
        Self {
            wheel: wheel.to_path_buf(),
            member: stamp.member.to_owned(),
            crc32: stamp.crc32,
            size: stamp.size,
            code,
        }
    }

    fn entry(&self) -> PackEntry<'_> {
        PackEntry {
            stamp: SourceStamp {
                member: &self.member,
                crc32: self.crc32,
                size: self.size,
            },
            code: &self.code,
        }
    }

    /// The memory the job holds while it waits.
    fn weight(&self) -> usize {
        self.code.len() + self.member.len() + self.wheel.as_os_str().len()
    }
}

/// Writes `jobs`: one new pack per wheel, its entries on disk now and the jobs'. A failed write
/// only costs a compile next time.
fn write_batch(cache: &BytecodeCache, jobs: &[Job]) {
    let mut by_wheel: HashMap<&Path, Vec<PackEntry<'_>>> = HashMap::new();
    for job in jobs {
        by_wheel.entry(&job.wheel).or_default().push(job.entry());
    }
    for (wheel, entries) in by_wheel {
        let _ = cache.store(wheel, entries);
    }
}

/// Writes bytecode cache entries on a thread of its own, started with the first job.
///
/// The thread runs at the lowest priority (on Linux, where priority is a thread's own): an entry
/// is never more urgent than the import that made it, so on a busy machine the writes wait for
/// idle time rather than take it from the importing thread. Nothing waits on that priority: a
/// flush writes the queued entries itself, on the flushing thread, and waits only for the batch
/// the writer thread may be in the middle of.
///
/// `flush` and `stop` only take a ticket (under a short lock); `Pending::wait` is what blocks.
/// A caller embedded in an interpreter takes the ticket while it holds the interpreter lock, so
/// that no `fork` can happen while the writer's lock is held, and waits without it.
#[derive(Debug)]
pub struct Writer {
    cache: BytecodeCache,
    cap: usize,
    idle: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    thread: Option<Thread>,
    /// Set by `close`: from then on callers write their own entries.
    closed: bool,
}

/// The running writer thread of one process.
#[derive(Debug)]
struct Thread {
    /// The process that started it: a child of `fork` has the memory but not the thread.
    pid: u32,
    queue: Arc<Queue>,
    handle: JoinHandle<()>,
}

/// What the callers, the flushers and the writer thread share.
#[derive(Debug)]
struct Queue {
    cache: BytecodeCache,
    /// The writer thread writes once the queued entries weigh this much, without waiting for
    /// the queue to be idle (half the cap: callers seldom reach the cap).
    heavy: usize,
    idle: Duration,
    inner: Mutex<Inner>,
    /// The writer thread waits here for jobs (or for `stop`).
    work: Condvar,
    /// Flushers (and the writer thread) wait here for a batch being written to be done.
    done: Condvar,
}

#[derive(Debug, Default)]
struct Inner {
    jobs: Vec<Job>,
    /// The weight of the jobs not yet written (queued or being written).
    bytes: usize,
    /// Jobs queued so far; each job's number is the count before it.
    submitted: u64,
    /// Jobs written so far: the queue is written in batches, in order, one batch at a time.
    written: u64,
    /// A batch is being written (by the thread, or by a flusher): packs of one process are
    /// written one at a time, so that two of its batches never race on one wheel's pack.
    busy: bool,
    /// When the last job was queued: the thread writes once the queue has been idle for `idle`.
    last_submit: Option<Instant>,
    /// Asked to end once the queue is empty.
    stop: bool,
    /// The thread ended without finishing (it panicked): it will not finish its batch.
    dead: bool,
}

impl Queue {
    /// Takes every queued job and writes them as one batch outside the lock; `false` when there
    /// is nothing queued or another batch is being written.
    fn write_batch(&self, inner: &mut MutexGuard<'_, Inner>) -> bool {
        if inner.busy || inner.jobs.is_empty() {
            return false;
        }
        let jobs = std::mem::take(&mut inner.jobs);
        let end = inner.submitted;
        // Nothing was being written: every byte counted belongs to the jobs taken.
        let weight = inner.bytes;
        inner.busy = true;
        MutexGuard::unlocked(inner, || {
            write_batch(&self.cache, &jobs);
            // Freed here, not under the lock.
            drop(jobs);
        });
        inner.busy = false;
        inner.written = end;
        inner.bytes -= weight;
        self.done.notify_all();
        true
    }

    /// Whether the writer thread should write the queue now rather than wait for more jobs.
    fn due(&self, inner: &Inner, now: Instant) -> bool {
        inner.stop
            || inner.bytes >= self.heavy
            || inner.last_submit.is_none_or(|at| now >= at + self.idle)
    }
}

/// What a `flush` or `stop` waits for: everything submitted before it, and for `stop` the end
/// of the thread.
#[derive(Debug)]
#[must_use = "nothing is waited for until `wait` is called"]
pub struct Pending {
    queue: Arc<Queue>,
    target: u64,
    handle: Option<JoinHandle<()>>,
}

impl Writer {
    /// A writer whose queue holds at most `cap` bytes, written once it has been idle for `idle`
    /// (the process's flush points write it too).
    pub fn new(cache: BytecodeCache, cap: usize, idle: Duration) -> Self {
        Self {
            cache,
            cap,
            idle,
            state: Mutex::new(State::default()),
        }
    }

    /// Queues `job` for the writer thread, starting the thread if none runs in this process.
    /// Gives the job back when the caller should see it written ([`Writer::queue_past_cap`]):
    /// the queue is over its cap, the writer is closed, or no thread can be started.
    pub fn submit(&self, job: Job) -> Result<(), Job> {
        let mut state = self.state.lock();
        if state.closed {
            return Err(job);
        }
        let queue = match own_thread(&mut state) {
            Some(thread) => thread.queue.clone(),
            None => match self.start() {
                Some(thread) => state.thread.insert(thread).queue.clone(),
                None => return Err(job),
            },
        };
        drop(state);
        let mut inner = queue.inner.lock();
        let weight = job.weight();
        // A stopping thread may already have returned: the caller writes rather than lose it.
        if inner.dead || inner.stop || inner.bytes.saturating_add(weight) > self.cap {
            return Err(job);
        }
        let was_light = inner.bytes < queue.heavy;
        let was_empty = inner.jobs.is_empty();
        inner.bytes += weight;
        inner.submitted += 1;
        inner.jobs.push(job);
        // A clock read, no system call (vDSO): the thread wakes when its deadline passes.
        inner.last_submit = Some(Instant::now());
        let wake = was_empty || (was_light && inner.bytes >= queue.heavy);
        drop(inner);
        // The thread sleeps with no deadline only while the queue is empty: waking it for every
        // job would cost a system call each.
        if wake {
            queue.work.notify_one();
        }
        Ok(())
    }

    /// For a job `submit` gave back: queued past the cap when a writer thread of this process
    /// exists, with a ticket that writes it and everything queued before it on the waiting
    /// thread (so the queue's memory stays bounded); given back again when there is no thread,
    /// for [`Writer::write_alone`].
    pub fn queue_past_cap(&self, job: Job) -> Result<Pending, Job> {
        let mut state = self.state.lock();
        let Some(thread) = own_thread(&mut state) else {
            return Err(job);
        };
        let queue = thread.queue.clone();
        drop(state);
        let target = {
            let mut inner = queue.inner.lock();
            inner.bytes += job.weight();
            inner.submitted += 1;
            inner.jobs.push(job);
            inner.submitted
        };
        Ok(Pending {
            queue,
            target,
            handle: None,
        })
    }

    /// Writes `job` into its wheel's pack on the calling thread, when no writer thread runs
    /// (after the exit's flush, or in a writer that could not start one).
    pub fn write_alone(&self, job: Job) {
        write_batch(&self.cache, std::slice::from_ref(&job));
    }

    /// A ticket for everything submitted so far; `None` when no writer thread runs in this
    /// process (nothing waits to be written).
    pub fn flush(&self) -> Option<Pending> {
        let mut state = self.state.lock();
        let queue = own_thread(&mut state)?.queue.clone();
        drop(state);
        let target = queue.inner.lock().submitted;
        Some(Pending {
            queue,
            target,
            handle: None,
        })
    }

    /// Ends the writer thread once everything submitted so far is written (the next job starts
    /// a new one), so that no thread of the writer's runs when the process forks.
    pub fn stop(&self) -> Option<Pending> {
        let mut state = self.state.lock();
        own_thread(&mut state)?;
        let Thread { queue, handle, .. } = state.thread.take()?;
        drop(state);
        let target = {
            let mut inner = queue.inner.lock();
            inner.stop = true;
            inner.submitted
        };
        queue.work.notify_one();
        Some(Pending {
            queue,
            target,
            handle: Some(handle),
        })
    }

    /// From now on `submit` gives every job back: for the interpreter's exit, after the last
    /// flush, when no thread would be left to write what is queued.
    pub fn close(&self) {
        self.state.lock().closed = true;
    }

    fn start(&self) -> Option<Thread> {
        let queue = Arc::new(Queue {
            cache: self.cache.clone(),
            heavy: self.cap / 2,
            idle: self.idle,
            inner: Mutex::default(),
            work: Condvar::new(),
            done: Condvar::new(),
        });
        let shared = queue.clone();
        let handle = std::thread::Builder::new()
            .name("wheelhook-cache".into())
            .spawn(move || run(&shared))
            .ok()?;
        Some(Thread {
            pid: std::process::id(),
            queue,
            handle,
        })
    }
}

impl Drop for Writer {
    /// Lets the thread end once it has written what is queued (without waiting for it).
    fn drop(&mut self) {
        if let Some(thread) = own_thread(self.state.get_mut()) {
            thread.queue.inner.lock().stop = true;
            thread.queue.work.notify_one();
        }
    }
}

impl Pending {
    /// Writes the jobs still queued on the calling thread, then blocks until the batch the
    /// writer thread may be writing is done (or the thread has died).
    pub fn wait(self) {
        let queue = &*self.queue;
        let mut inner = queue.inner.lock();
        while inner.written < self.target {
            if queue.write_batch(&mut inner) {
                continue;
            }
            if inner.dead && !inner.busy {
                // The dead thread's batch is lost (a compile next time); nothing is queued.
                break;
            }
            queue.done.wait(&mut inner);
        }
        drop(inner);
        if let Some(handle) = self.handle {
            // The thread has nothing left to do but return; a panic is already reported by `dead`.
            let _ = handle.join();
        }
    }
}

/// The writer thread of this process, if one runs. In a `fork` child the thread in memory is the
/// parent's: it does not exist here, its queue's lock may have been held at the fork, and its
/// handle must not be joined, so it is forgotten (its memory is leaked) and a new one starts.
fn own_thread(state: &mut State) -> Option<&Thread> {
    if state
        .thread
        .as_ref()
        .is_some_and(|t| t.pid != std::process::id())
    {
        std::mem::forget(state.thread.take());
    }
    state.thread.as_ref()
}

/// The writer thread: sleeps while the queue is empty, and writes it once it has been idle for
/// a while, has grown heavy, or the thread is asked to stop.
fn run(queue: &Queue) {
    let _mourner = Mourner(queue);
    lower_priority();
    let mut inner = queue.inner.lock();
    loop {
        if inner.jobs.is_empty() {
            if inner.stop {
                return;
            }
            queue.work.wait(&mut inner);
            continue;
        }
        let now = Instant::now();
        if queue.due(&inner, now) {
            if !queue.write_batch(&mut inner) {
                // A flusher is writing a batch: it wakes us when done.
                queue.done.wait(&mut inner);
            }
            continue;
        }
        let deadline = inner.last_submit.map_or(now, |at| at + queue.idle);
        queue.work.wait_until(&mut inner, deadline);
    }
}

/// Gives the calling thread the lowest priority: on Linux the nice value belongs to the thread
/// (`setpriority(PRIO_PROCESS, 0)` names the caller). Elsewhere it would be the whole process's,
/// so it is left alone. Unprivileged, a thread can lower its priority but never raise it back,
/// which is why flushers write instead of waiting for it.
fn lower_priority() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        extern "C" {
            fn setpriority(which: i32, who: u32, prio: i32) -> i32;
        }
        const PRIO_PROCESS: i32 = 0;
        // SAFETY: setpriority has no memory preconditions; a failure leaves the priority as is.
        unsafe {
            setpriority(PRIO_PROCESS, 0, 19);
        }
    }
}

/// Marks the queue dead when the writer thread unwinds, so that no flush waits for it forever.
struct Mourner<'a>(&'a Queue);

impl Drop for Mourner<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut inner = self.0.inner.lock();
            inner.dead = true;
            inner.busy = false;
            drop(inner);
            self.0.done.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];
    const WHEEL: &str = "/store/pkg-1.0-py3-none-any.whl";
    /// Longer than any test takes: only flushes write.
    const NEVER: Duration = Duration::from_secs(3600);

    fn cache(name: &str) -> (PathBuf, BytecodeCache) {
        let root = super::super::scratch_dir("writer", name);
        let cache = BytecodeCache::new(&root, MAGIC, "cpython-311");
        (root, cache)
    }

    fn stamp(member: &str) -> SourceStamp<'_> {
        SourceStamp {
            member,
            crc32: 7,
            size: 11,
        }
    }

    fn job_of(wheel: &str, i: usize) -> Job {
        Job::new(
            Path::new(wheel),
            stamp(&format!("pkg/m{i}.py")),
            format!("code {i}").into_bytes(),
        )
    }

    fn job(i: usize) -> Job {
        job_of(WHEEL, i)
    }

    /// How many entries the wheel's pack holds.
    fn entries(cache: &BytecodeCache, wheel: &str) -> usize {
        cache.open(Path::new(wheel)).map_or(0, |p| p.len())
    }

    /// The files of the cache's code folder (packs and temporary files).
    fn files(root: &Path) -> usize {
        std::fs::read_dir(root.join("code")).map_or(0, |d| d.flatten().count())
    }

    fn wait_for(what: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !what() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        what()
    }

    #[test]
    fn ok_flush_writes_one_pack_per_wheel() {
        let (root, cache) = cache("flush");
        let writer = Writer::new(cache.clone(), QUEUE_CAP, NEVER);
        assert!(writer.flush().is_none(), "nothing submitted");
        let other = "/store/other-1.0-py3-none-any.whl";
        for i in 0..200 {
            writer.submit(job(i)).unwrap();
            writer.submit(job_of(other, i)).unwrap();
        }
        writer.flush().unwrap().wait();
        let pack = cache.open(Path::new(WHEEL)).unwrap();
        for i in 0..200 {
            let member = format!("pkg/m{i}.py");
            assert_eq!(
                pack.get(stamp(&member)),
                Some(format!("code {i}").as_bytes())
            );
        }
        assert_eq!((pack.len(), entries(&cache, other)), (200, 200));
        assert_eq!(files(&root), 2, "two packs, no temporary file left");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn ok_an_idle_queue_is_written_without_a_flush() {
        let (root, cache) = cache("idle");
        let writer = Writer::new(cache.clone(), QUEUE_CAP, Duration::from_millis(50));
        for i in 0..10 {
            writer.submit(job(i)).unwrap();
        }
        assert!(wait_for(|| entries(&cache, WHEEL) == 10));
        // Later work is added to the pack, not put in place of it.
        for i in 10..20 {
            writer.submit(job(i)).unwrap();
        }
        assert!(wait_for(|| entries(&cache, WHEEL) == 20));
        assert_eq!(files(&root), 1);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn ok_over_the_cap_the_caller_writes_the_queue() {
        let (root, cache) = cache("cap");
        let writer = Writer::new(cache.clone(), job(0).weight() * 3, NEVER);
        let mut refused = 0;
        for i in 0..100 {
            if let Err(job) = writer.submit(job(i)) {
                refused += 1;
                match writer.queue_past_cap(job) {
                    Ok(pending) => pending.wait(),
                    Err(job) => writer.write_alone(job),
                }
                let queue = writer.state.lock().thread.as_ref().unwrap().queue.clone();
                assert_eq!(queue.inner.lock().bytes, 0, "the queue was written");
            }
        }
        writer.flush().unwrap().wait();
        assert!(refused > 10, "a queue of three jobs' weight refuses some");
        assert_eq!(entries(&cache, WHEEL), 100);
        let huge = Job::new(Path::new(WHEEL), stamp("pkg/huge.py"), vec![0; 1 << 10]);
        assert!(writer.submit(huge).is_err(), "heavier than the cap alone");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn ok_stop_writes_everything_and_the_next_job_restarts() {
        let (root, cache) = cache("stop");
        let writer = Writer::new(cache.clone(), QUEUE_CAP, NEVER);
        for i in 0..50 {
            writer.submit(job(i)).unwrap();
        }
        writer.stop().unwrap().wait();
        assert_eq!(entries(&cache, WHEEL), 50);
        assert!(writer.stop().is_none(), "no thread left");
        writer.submit(job(50)).unwrap();
        writer.flush().unwrap().wait();
        assert_eq!(entries(&cache, WHEEL), 51);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn ok_a_dropped_writer_still_writes_what_is_queued() {
        let (root, cache) = cache("dropped");
        let writer = Writer::new(cache.clone(), QUEUE_CAP, NEVER);
        for i in 0..50 {
            writer.submit(job(i)).unwrap();
        }
        drop(writer);
        assert!(wait_for(|| entries(&cache, WHEEL) == 50));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn ok_closed_gives_every_job_back() {
        let (root, cache) = cache("closed");
        let writer = Writer::new(cache.clone(), QUEUE_CAP, NEVER);
        writer.close();
        let job = writer.submit(job(0)).unwrap_err();
        assert!(writer.flush().is_none());
        assert!(!root.exists(), "nothing written");
        let job = writer.queue_past_cap(job).unwrap_err();
        writer.write_alone(job);
        assert_eq!(entries(&cache, WHEEL), 1);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn err_failed_writes_are_silent_and_flush_returns() {
        let (root, cache) = cache("failing");
        std::fs::create_dir_all(root.parent().unwrap()).unwrap();
        // A file where the cache directory should be: every write fails.
        std::fs::write(&root, b"not a directory").unwrap();
        let writer = Writer::new(cache.clone(), QUEUE_CAP, NEVER);
        for i in 0..10 {
            writer.submit(job(i)).unwrap();
        }
        writer.flush().unwrap().wait();
        writer.write_alone(job(10));
        assert!(cache.store(Path::new(WHEEL), [job(11).entry()]).is_err());
        std::fs::remove_file(&root).unwrap();
    }
}
