//! The idle timeout in the flows (`crate::idle`, opt-in): the origin's last activity (the
//! browser writes it, `web::events`), a timer per session with listeners, the `"idle"`
//! warning, then the logout.

use super::{sessions, Platform, Store};
use crate::config::Config;
use crate::idle::{self, IdleDue};
use crate::session_event::SessionEventKind;

/// The last activity of the user in any tab of the origin (seconds since the epoch). None
/// recorded yet (or a moment in the future: another clock wrote it): now, and recorded.
pub(crate) async fn last_activity<P: Platform>(p: &P) -> u64 {
    let now = p.now();
    let stored = p.get(Store::Local, idle::ACTIVITY_KEY).await.ok().flatten();
    match stored.and_then(|s| crate::form::parse_u64(&s)) {
        Some(t) if t <= now => t,
        _ => {
            let mut text = String::new();
            crate::form::push_u64(&mut text, now);
            let _ = p.set(Store::Local, idle::ACTIVITY_KEY, &text).await;
            now
        }
    }
}

/// When the idle logout of `config`'s session comes, if the app configured one.
pub(crate) async fn logout_at<P: Platform>(p: &P, config: &Config) -> Option<u64> {
    let timeout = config.idle_timeout_secs?;
    Some(idle::logout_at(last_activity(p).await, timeout))
}

/// What an idle timer that fired was set for: its generation, its moment, what it does, and
/// the last activity it was counted from.
type Fired = (u32, u64, IdleDue, u64);

/// Arms the idle timer of `config`'s session (with an idle timeout and listeners).
pub(crate) fn arm<P: Platform>(p: &P, config: &Config) {
    if config.idle_timeout_secs.is_none() || !p.has_listeners(&sessions::page_key(config)) {
        return;
    }
    p.after(0, Box::pin(check(p.clone(), config.clone(), None)));
}

/// The timer's work: when `fired`, warn or log out if that is still due (activity in any tab
/// since postpones both); then set the timer for what comes next.
async fn check<P: Platform>(p: P, config: Config, fired: Option<Fired>) {
    let Some(timeout) = config.idle_timeout_secs else {
        return;
    };
    let mut key = String::from("idle ");
    key.push_str(&sessions::page_key(&config));
    if let Some((generation, ..)) = fired {
        if !sessions::is_current(&p, &key, generation) {
            return;
        }
    }
    // Logged out, or never logged in: nothing to time.
    let Ok(Some(_)) = sessions::load(&p, &config).await else {
        return;
    };
    let last = last_activity(&p).await;
    let now = p.now();
    let page = sessions::page_key(&config);
    match fired {
        Some((_, _, IdleDue::Logout, _)) if now >= idle::logout_at(last, timeout) => {
            let _ = super::logout::logout(&p, &config, &config.idle_logout).await;
            return;
        }
        Some((_, at, IdleDue::Warn, counted)) if counted == last && now >= at => {
            p.state()
                .warned
                .borrow_mut()
                .push((key.clone(), Some(last)));
            let kept = sessions::store_of(&p, config.token_storage.into(), &config.session_key());
            p.emit(&page, SessionEventKind::Idle, kept);
        }
        _ => {}
    }
    let warned = p
        .state()
        .warned
        .borrow()
        .contains(&(key.clone(), Some(last)));
    let (at, due) = idle::due(last, now, timeout, config.idle_warning_secs, warned);
    let generation = sessions::next_timer(&p, &key);
    let ms = sessions::delay_ms(at, now);
    let next = Box::pin(check(p.clone(), config, Some((generation, at, due, last))));
    p.after(ms, next);
}
