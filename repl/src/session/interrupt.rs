//! Ctrl-C while a statement runs.
//!
//! At the prompt the terminal is in raw mode and the line editor reads Ctrl-C as a key, so
//! no signal arrives. While a statement runs the terminal is back in cooked mode and Ctrl-C
//! sends SIGINT: a watcher thread turns it into a request on the running interpreter's
//! [`Interrupt`], which its loops poll and answer with `KeyboardInterrupt`. Between
//! statements the signal is ignored.

use crate::Interrupt;
use signal_hook::consts::SIGINT;
use std::sync::{Arc, Mutex, PoisonError};

/// The SIGINT watcher and the interrupt of the statement now running, if any.
pub struct Signals {
    running: Arc<Mutex<Option<Interrupt>>>,
}

/// While alive, SIGINT interrupts one statement.
pub struct Running<'a> {
    signals: &'a Signals,
}

impl Signals {
    /// Starts watching SIGINT.
    pub fn install() -> std::io::Result<Signals> {
        let mut incoming = signal_hook::iterator::Signals::new([SIGINT])?;
        let running: Arc<Mutex<Option<Interrupt>>> = Arc::default();
        let target = running.clone();
        std::thread::Builder::new().name("sigint".into()).spawn(move || {
            for _ in incoming.forever() {
                if let Some(i) = target.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
                    i.trigger();
                }
            }
        })?;
        Ok(Signals { running })
    }

    /// Routes SIGINT to `interrupt` until the returned guard is dropped.
    pub fn running(&self, interrupt: Interrupt) -> Running<'_> {
        *self.running.lock().unwrap_or_else(PoisonError::into_inner) = Some(interrupt);
        Running { signals: self }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        *self.signals.running.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}
