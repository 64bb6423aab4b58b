//! The background writer of the bytecode cache: an importing thread compiles and hands the
//! marshalled code over; a thread of the writer's own writes the entries.
//!
//! A cold import then pays for compiling only, not for the file system calls of every entry.
//! What is queued is written by `flush` (which the interpreter's exit calls), bounded in memory
//! (past the cap the caller writes itself), and safe across `fork`: a child finds that the
//! thread in its memory belongs to its parent and starts its own.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex, MutexGuard};

use super::bytecode::{BytecodeCache, SourceStamp, WheelDirs};

/// How many bytes of marshalled code may wait to be written before callers write their own.
pub const QUEUE_CAP: usize = 64 << 20;

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

    fn stamp(&self) -> SourceStamp<'_> {
        SourceStamp {
            member: &self.member,
            crc32: self.crc32,
            size: self.size,
        }
    }

    /// The memory the job holds while it waits.
    fn weight(&self) -> usize {
        self.code.len() + self.member.len() + self.wheel.as_os_str().len()
    }

    fn write(&self, cache: &BytecodeCache, dirs: &mut WheelDirs) -> std::io::Result<()> {
        cache.store(dirs, &self.wheel, self.stamp(), &self.code)
    }
}

/// Writes bytecode cache entries on a thread of its own, started with the first job.
///
/// The thread runs at the lowest priority (on Linux, where priority is a thread's own): an entry
/// is never more urgent than the import that made it, so on a busy machine the writes wait for
/// idle time rather than take it from the importing thread. Nothing waits on that priority: a
/// flush writes the queued entries itself, on the flushing thread, and waits only for the one
/// the writer thread may be in the middle of.
///
/// `flush` and `stop` only take a ticket (under a short lock); `Pending::wait` is what blocks.
/// A caller embedded in an interpreter takes the ticket while it holds the interpreter lock, so
/// that no `fork` can happen while the writer's lock is held, and waits without it.
#[derive(Debug)]
pub struct Writer {
    cache: BytecodeCache,
    cap: usize,
    state: Mutex<State>,
    /// The record of synchronous writes (over the cap, or after `close`).
    sync_dirs: Mutex<WheelDirs>,
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
    inner: Mutex<Inner>,
    /// The writer thread waits here for jobs (or for `stop`).
    work: Condvar,
    /// Flushers wait here for the jobs being written to finish.
    done: Condvar,
    /// The record of the flushers' writes.
    helper_dirs: Mutex<WheelDirs>,
}

#[derive(Debug, Default)]
struct Inner {
    jobs: VecDeque<Job>,
    /// The weight of the jobs not yet written (queued or being written).
    bytes: usize,
    /// Jobs queued so far; each job's number is the count before it.
    submitted: u64,
    /// Jobs taken from the queue so far (they are taken in order).
    taken: u64,
    /// The numbers of the jobs being written now (by the thread, or by flushers).
    writing: Vec<u64>,
    /// Asked to end once the queue is empty.
    stop: bool,
    /// The thread ended without finishing (it panicked): it will not finish its job.
    dead: bool,
}

impl Inner {
    fn take(&mut self) -> Option<(u64, Job)> {
        let job = self.jobs.pop_front()?;
        let number = self.taken;
        self.taken += 1;
        self.writing.push(number);
        Some((number, job))
    }

    fn finish(&mut self, number: u64, weight: usize) {
        self.writing.retain(|&n| n != number);
        self.bytes -= weight;
    }

    /// Whether every job numbered below `target` is written.
    fn written_below(&self, target: u64) -> bool {
        self.taken >= target && self.writing.iter().all(|&n| n >= target)
    }
}

impl Queue {
    /// Takes the next job and writes it outside the lock; `false` when the queue is empty.
    fn write_next(&self, inner: &mut MutexGuard<'_, Inner>, dirs: &mut WheelDirs) -> bool {
        let Some((number, job)) = inner.take() else {
            return false;
        };
        let weight = job.weight();
        MutexGuard::unlocked(inner, || {
            // A failed write only costs a compile next time.
            let _ = job.write(&self.cache, dirs);
            // Freed here, not under the lock.
            drop(job);
        });
        inner.finish(number, weight);
        self.done.notify_all();
        true
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
    pub fn new(cache: BytecodeCache, cap: usize) -> Self {
        Self {
            cache,
            cap,
            state: Mutex::new(State::default()),
            sync_dirs: Mutex::new(WheelDirs::default()),
        }
    }

    /// Queues `job` for the writer thread, starting the thread if none runs in this process.
    /// Gives the job back when the caller should write it itself ([`Writer::write_now`]): the
    /// queue is over its cap, the writer is closed, or no thread can be started.
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
        inner.bytes += weight;
        inner.submitted += 1;
        inner.jobs.push_back(job);
        drop(inner);
        // No system call unless the writer thread is asleep.
        queue.work.notify_one();
        Ok(())
    }

    /// Writes `job` on the calling thread. A failed write is returned, and only costs a compile
    /// next time.
    pub fn write_now(&self, job: Job) -> std::io::Result<()> {
        // Contended only by another synchronous write (or, in a `fork` child, by a thread of the
        // parent that held it): a fresh record then costs one more sweep, never a wait.
        match self.sync_dirs.try_lock() {
            Some(mut dirs) => job.write(&self.cache, &mut dirs),
            None => job.write(&self.cache, &mut WheelDirs::default()),
        }
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
            inner: Mutex::default(),
            work: Condvar::new(),
            done: Condvar::new(),
            helper_dirs: Mutex::default(),
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
    /// Writes the ticket's jobs still queued on the calling thread, then blocks until those the
    /// writer thread is writing are done (or the thread has died).
    pub fn wait(self) {
        let queue = &*self.queue;
        // Contended only by another flusher (or, in a `fork` child, by a thread of the parent
        // that held it): a fresh record then costs one more sweep, never a wait.
        let mut shared = queue.helper_dirs.try_lock();
        let mut own = WheelDirs::default();
        let dirs = shared.as_deref_mut().unwrap_or(&mut own);
        let mut inner = queue.inner.lock();
        loop {
            if inner.written_below(self.target) {
                break;
            }
            if inner.taken < self.target && queue.write_next(&mut inner, dirs) {
                continue;
            }
            if inner.dead {
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

/// The writer thread: writes jobs one at a time in the order they came, so that a flusher
/// writing the rest never waits for more than one.
fn run(queue: &Queue) {
    let _mourner = Mourner(queue);
    lower_priority();
    let mut dirs = WheelDirs::default();
    let mut inner = queue.inner.lock();
    loop {
        if queue.write_next(&mut inner, &mut dirs) {
            continue;
        }
        if inner.stop {
            return;
        }
        queue.work.wait(&mut inner);
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
            self.0.inner.lock().dead = true;
            self.0.done.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: [u8; 4] = [0xa7, 0x0d, 0x0d, 0x0a];

    fn scratch(name: &str) -> PathBuf {
        super::super::scratch_dir("writer", name)
    }

    fn stamp(member: &str) -> SourceStamp<'_> {
        SourceStamp {
            member,
            crc32: 7,
            size: 11,
        }
    }

    const WHEEL: &str = "/store/pkg-1.0-py3-none-any.whl";

    fn job(i: usize) -> Job {
        Job::new(
            Path::new(WHEEL),
            stamp(&format!("pkg/m{i}.py")),
            format!("code {i}").into_bytes(),
        )
    }

    fn entries(cache: &BytecodeCache) -> usize {
        std::fs::read_dir(cache.wheel_dir(Path::new(WHEEL))).map_or(0, |d| d.flatten().count())
    }

    #[test]
    fn ok_flush_waits_for_everything_submitted() {
        let root = scratch("flush");
        let cache = BytecodeCache::new(&root, MAGIC);
        let writer = Writer::new(cache.clone(), QUEUE_CAP);
        assert!(writer.flush().is_none(), "nothing submitted");
        for i in 0..200 {
            writer.submit(job(i)).unwrap();
        }
        writer.flush().unwrap().wait();
        for i in 0..200 {
            let member = format!("pkg/m{i}.py");
            assert_eq!(
                cache.load(Path::new(WHEEL), stamp(&member)),
                Some(format!("code {i}").into_bytes())
            );
        }
        assert_eq!(entries(&cache), 200, "no temporary file left");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn ok_over_the_cap_the_job_comes_back() {
        let root = scratch("cap");
        let cache = BytecodeCache::new(&root, MAGIC);
        let writer = Writer::new(cache.clone(), job(0).weight());
        let mut refused = 0;
        for i in 0..100 {
            if let Err(job) = writer.submit(job(i)) {
                writer.write_now(job).unwrap();
                refused += 1;
            }
        }
        writer.flush().unwrap().wait();
        assert!(refused > 0, "a queue of one job's weight refuses some");
        assert_eq!(entries(&cache), 100);
        writer.submit(job(0)).expect("written jobs no longer count");
        writer.flush().unwrap().wait();
        let huge = Job::new(Path::new(WHEEL), stamp("pkg/huge.py"), vec![0; 1 << 10]);
        assert!(writer.submit(huge).is_err(), "heavier than the cap alone");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn ok_stop_writes_everything_and_the_next_job_restarts() {
        let root = scratch("stop");
        let cache = BytecodeCache::new(&root, MAGIC);
        let writer = Writer::new(cache.clone(), QUEUE_CAP);
        for i in 0..50 {
            writer.submit(job(i)).unwrap();
        }
        writer.stop().unwrap().wait();
        assert_eq!(entries(&cache), 50);
        assert!(writer.stop().is_none(), "no thread left");
        writer.submit(job(50)).unwrap();
        writer.flush().unwrap().wait();
        assert_eq!(entries(&cache), 51);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn ok_a_dropped_writer_still_writes_what_is_queued() {
        let root = scratch("dropped");
        let cache = BytecodeCache::new(&root, MAGIC);
        let writer = Writer::new(cache.clone(), QUEUE_CAP);
        for i in 0..50 {
            writer.submit(job(i)).unwrap();
        }
        drop(writer);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while entries(&cache) < 50 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(entries(&cache), 50);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn ok_written_below_waits_for_every_earlier_job() {
        let mut inner = Inner::default();
        for i in 0..4 {
            inner.jobs.push_back(job(i));
            inner.bytes += job(i).weight();
            inner.submitted += 1;
        }
        let (a, b, c) = (
            inner.take().unwrap(),
            inner.take().unwrap(),
            inner.take().unwrap(),
        );
        assert!(inner.written_below(0));
        assert!(!inner.written_below(3), "three being written");
        inner.finish(c.0, c.1.weight());
        inner.finish(a.0, a.1.weight());
        assert!(inner.written_below(1));
        assert!(
            !inner.written_below(3),
            "a later job done does not stand for an earlier one"
        );
        inner.finish(b.0, b.1.weight());
        assert!(inner.written_below(3));
        assert!(!inner.written_below(4), "the fourth is still queued");
        assert_eq!(inner.bytes, job(3).weight());
    }

    #[test]
    fn ok_closed_gives_every_job_back() {
        let root = scratch("closed");
        let writer = Writer::new(BytecodeCache::new(&root, MAGIC), QUEUE_CAP);
        writer.close();
        assert!(writer.submit(job(0)).is_err());
        assert!(writer.flush().is_none());
        assert!(!root.exists(), "nothing written");
    }

    #[test]
    fn err_failed_writes_are_silent_and_flush_returns() {
        let root = scratch("failing");
        std::fs::create_dir_all(root.parent().unwrap()).unwrap();
        // A file where the cache directory should be: every write fails.
        std::fs::write(&root, b"not a directory").unwrap();
        let writer = Writer::new(BytecodeCache::new(&root, MAGIC), QUEUE_CAP);
        for i in 0..10 {
            writer.submit(job(i)).unwrap();
        }
        writer.flush().unwrap().wait();
        assert!(writer.write_now(job(10)).is_err());
        std::fs::remove_file(&root).unwrap();
    }
}
