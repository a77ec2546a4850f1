"""`cadence cadences new`: a commented starter cadence file to edit."""

from __future__ import annotations

from pathlib import Path

from cadence.cadences.loader import parse_cadence
from cadence.cadences.model import NAME_PATTERN
from cadence.errors import CadenceError

STARTER = """\
# {name}: your own cadence. Edit the scripts, then:
#   cadence cadences validate                  checks the file (errors name the line)
#   cadence cadences preview {name}     shows the dates and the scripts
#   cadence add --cadence {name} ...    or  cadence import leads.csv --cadence {name}
# Every key is described in docs/cadence-format.md.

name: {name}            # must stay equal to the file name
title: My own cadence
description: Call, email, a LinkedIn touch, a call without a message, then the fire message.
days: business          # business: working days only; calendar: every day counts
# weekdays: [tuesday, wednesday, thursday, friday]   # working days (default: Monday to Friday)
# holidays: US          # skip this country's public holidays; or:
# holidays: {{country: US, dates: [2026-12-24, 2026-12-31]}}

steps:
  # `id` is optional. It names a step for good, so that after you edit this
  # file `cadence cadences migrate {name}` knows which step is which.
  - id: first-call
    day: 1
    type: call          # phone; if they don't pick up, leave the voicemail
    script: |
      Hi {{{{ prospect.first_name }}}}, this is {{{{ me.name }}}} from {{{{ me.company }}}}.
      I'll keep it short: I'd like to find out whether what we do could help
      {{{{ prospect.company or "your team" }}}}. Is now a bad time?
    voicemail: |
      Hi {{{{ prospect.first_name }}}}, {{{{ me.name }}}} from {{{{ me.company }}}}. I'd like to ask
      you one question about how you work today. I'm on {{{{ me.phone }}}}.

  - id: first-email
    day: 2
    type: email
    subject: "A question for {{{{ prospect.company or prospect.first_name }}}}"
    body: |
      Hi {{{{ prospect.first_name }}}},

      I left you a voicemail yesterday. In one line: we help teams like yours
      spend less time on work nobody enjoys. Is that worth fifteen minutes?

      {{{{ me.name }}}}
      {{{{ me.phone }}}}

  - id: linkedin
    day: 4
    type: task          # anything that is not a call or an email; log it done or skipped
    title: Connect on LinkedIn
    instructions: |
      Send a connection request with a short note that mentions
      {{{{ prospect.company or "their company" }}}}.

  - id: second-call
    day: 5
    type: no-message-call   # phone, but hang up if they don't pick up
    script: |
      Hi {{{{ prospect.first_name }}}}, {{{{ me.name }}}} again. Did my email reach you?

  - id: fire
    day: 7
    type: fire          # the last message: firm, and final
    channel: voicemail  # or email (then write subject and body)
    script: |
      {{{{ prospect.first_name }}}}, it's {{{{ me.name }}}}. I've tried you a few times now and
      haven't heard back, so I'll stop calling and take you off my list.
      If things change, you can reach me on {{{{ me.phone }}}}.

after_fire:
  recycle_after: 6 months   # put them back on the list after this (delete to never)
"""


def starter(name: str) -> str:
    """The text of a commented starter cadence called `name`."""
    return STARTER.format(name=name)


def write_new(name: str, folder: Path) -> Path:
    """Write a starter cadence as folder/NAME.yaml; refuses a bad name or an existing file."""
    if not NAME_PATTERN.match(name):
        raise CadenceError(f"cadence name {name!r} must be lower case letters, digits, '-' or '_' (e.g. my-plan)")
    target = folder / f"{name}.yaml"
    other = folder / f"{name}.yml"
    for path in (target, other):
        if path.exists():
            raise CadenceError(f"{path} already exists: edit it, or choose another name or --out folder")
    from cadence.files import write_private

    text = starter(name)
    _cadence, problems = parse_cadence(text, str(target))
    if problems:  # a bug in the template, not the user's doing
        raise CadenceError(f"the starter file is not valid: {problems[0]}")
    try:
        from cadence.folders import make_folder

        make_folder(folder)  # the user cadence folder is private (0700)
        write_private(target, text)
    except FileExistsError:
        raise CadenceError(f"{target} already exists: edit it, or choose another name or --out folder") from None
    except OSError as exc:
        raise CadenceError(f"cannot write {target}: {exc.strerror}; choose another folder with --out") from None
    return target
