//! SIGINT, SIGTERM and SIGHUP end a command without leaving an unfinished output: a
//! thread waits for them, removes the temporary files and folders that are not yet in
//! place ([`irl::io::remove_temporaries`]), then ends the process as the signal would
//! have, so that its exit status still names the signal. A temporary created while the
//! process ends, or left by SIGKILL, is removed by the next write of the same output.

/// Start the thread that handles the signals (on Unix; elsewhere nothing is done).
pub fn clean_up_on_signals() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        use signal_hook::iterator::Signals;
        let Ok(mut signals) = Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                irl::io::remove_temporaries();
                let _ = signal_hook::low_level::emulate_default_handler(signal);
                std::process::exit(128 + signal);
            }
        });
    }
}
