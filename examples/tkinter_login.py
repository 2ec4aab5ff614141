# demo: skip (it opens a window: run it where a display exists; the tests run it under Xvfb)
"""A login dialog with a timeout, in tkinter, read top to bottom as async code.

The main window has a "Log in..." button. It opens a dialog that asks for a
name and a password and closes by itself when the time is up (a countdown
shows what is left). The password is checked in a worker thread (it is slow,
as a real check would be) while the window stays responsive; then the main
window greets the user, and "Quit" ends the app. Closing the window at any
moment cancels everything cleanly.

    python examples/tkinter_login.py
"""

from __future__ import annotations

import contextlib
import math
import time
import tkinter as tk

from gearwork.adapters.tkinter import TkHost, event, run
from gearwork.core import Cancelled
from gearwork.nursery import wait_any

USERS = {"alice": "wonderland", "bob": "builder"}


def check_password(user: str, password: str) -> bool:
    """A slow check, as a real one against a server would be: it runs in a thread."""
    time.sleep(0.05)
    return USERS.get(user) == password


def clickable(button: tk.Button) -> tk.Button:
    """Make the button's command generate <<Clicked>> on it, to be awaited."""
    button["command"] = lambda: button.event_generate("<<Clicked>>")
    return button


async def ask_credentials(host: TkHost, timeout: float) -> tuple[str, str] | str:
    """Show the dialog; return (user, password), or why there are none."""
    dialog = tk.Toplevel(host.root, padx=12, pady=12)
    dialog.title("Log in")
    tk.Label(dialog, text="Name").grid(row=0, column=0, sticky="w")
    user = tk.Entry(dialog, name="user")
    user.grid(row=0, column=1)
    tk.Label(dialog, text="Password").grid(row=1, column=0, sticky="w")
    password = tk.Entry(dialog, name="password", show="*")
    password.grid(row=1, column=1)
    left = tk.Label(dialog, name="left", fg="gray30")
    left.grid(row=2, column=0, columnspan=2, pady=6)
    ok = clickable(tk.Button(dialog, name="ok", text="OK", width=8))
    ok.grid(row=3, column=0)
    cancel = clickable(tk.Button(dialog, name="cancel", text="Cancel", width=8))
    cancel.grid(row=3, column=1)
    dialog.protocol("WM_DELETE_WINDOW", cancel.invoke)
    user.focus_set()

    async def count_down() -> None:
        async for elapsed, _delta in host.periodic(0.1):
            left["text"] = f"{math.ceil(max(0.0, timeout - elapsed))} s left"

    try:
        async with host.move_on_after(timeout):
            ended = await wait_any(
                event(ok, "<<Clicked>>"),
                event(dialog, "<Return>"),
                event(cancel, "<<Clicked>>"),
                count_down(),
            )
            if ended[2].finished:
                return "Login cancelled"
            return user.get(), password.get()
        return "Login timed out"
    finally:
        dialog.destroy()


async def main(host: TkHost, timeout: float = 30.0) -> str:
    """The app: log in until the password is right, then greet; "Quit" returns the user."""
    root = host.root
    root.title("gearwork login")
    status = tk.Label(root, name="status", text="Not logged in", width=32, pady=10)
    status.pack()
    login = clickable(tk.Button(root, name="login", text="Log in..."))
    login.pack(pady=6)
    while True:
        await event(login, "<<Clicked>>")
        login["state"] = "disabled"
        answer = await ask_credentials(host, timeout)
        login["state"] = "normal"
        if isinstance(answer, str):
            status["text"] = answer
            continue
        name, password = answer
        status["text"] = "Checking..."
        if await host.run_in_thread(check_password, name, password):
            break
        status["text"] = f"Wrong password for {name!r}"
    status["text"] = f"Welcome, {name}!"
    login.destroy()
    quit_button = clickable(tk.Button(root, name="quit", text="Quit"))
    quit_button.pack(pady=6)
    await event(quit_button, "<<Clicked>>")
    return name


if __name__ == "__main__":
    with contextlib.suppress(Cancelled):  # the window was closed
        print("logged in as", run(main))
