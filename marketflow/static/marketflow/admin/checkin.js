'use strict';
// Check-in on a flaky connection: each tap posts its row's form with fetch and says on the row
// whether it was saved ("Arrived at 08:02") or not ("not saved, tap again"). Without this
// file the forms post as they are and the page comes back with the saved state.
{
    function row(form) {
        return document.getElementById(form.dataset.row);
    }

    // ``saved``: the server's answer (the row's state and pressed button change); else
    // ``pending``, the tapped value not known to be saved yet.
    function show(form, { note, failed = false, saved = null, pending = null }) {
        const item = row(form);
        const noteBox = item.querySelector('.checkin-note');
        noteBox.textContent = note;
        noteBox.classList.toggle('checkin-failed', failed);
        if (saved) {
            item.className = `checkin-row checkin-${saved.attendance}`;
            item.dataset.attendance = saved.attendance;
            item.querySelector('.checkin-state').textContent = saved.saved;
            count();
        }
        form.querySelectorAll('button[name="attendance"]').forEach((button) => {
            button.classList.toggle('checkin-pending', button.value === pending);
            if (saved) {
                button.setAttribute('aria-pressed', String(button.value === saved.attendance));
            }
        });
    }

    function count() {
        const rows = document.querySelectorAll('#checkin-list [data-attendance]');
        const done = [...rows].filter((item) => item.dataset.attendance).length;
        document.getElementById('checkin-count').textContent =
            `${done} of ${rows.length} checked in`;
    }

    async function send(form, button) {
        const body = new FormData(form);
        body.set(button.name, button.value);
        show(form, { note: 'Saving…', pending: button.value });
        let answer = { ok: false, body: { detail: 'No connection.' } };
        try {
            const response = await fetch(form.action || window.location.href, {
                method: 'POST',
                body,
                headers: { Accept: 'application/json' },
                credentials: 'same-origin',
            });
            const type = response.headers.get('Content-Type') || '';
            answer = type.includes('json')
                ? { ok: response.ok, body: await response.json() }
                : { ok: false, body: { detail: 'Unexpected answer (signed out?).' } };
        } catch (error) {
            // Offline, or the answer was cut off: nothing is known to be saved.
        }
        if (answer.ok) {
            show(form, { note: '✓ saved', saved: answer.body });
        } else {
            const why = answer.body.detail;
            show(form, {
                note: `Not saved: ${why} Tap again to retry.`, failed: true,
                pending: button.value,
            });
        }
    }

    document.addEventListener('submit', (event) => {
        const form = event.target;
        if (!form.classList.contains('checkin-form') || !event.submitter) {
            return;
        }
        event.preventDefault();
        send(form, event.submitter);
    });
}
