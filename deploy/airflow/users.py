"""Airflow's people, from the environment (run by init.sh after `airflow db migrate`).

The FAB auth manager keeps users in the metadata database with hashed passwords. Each kind of person
gets one of FAB's built-in roles:

    AIRFLOW_ADMIN_USERNAME / _PASSWORD        Admin   administrators: everything, users and roles
    AIRFLOW_ENGINEER_USERNAME / _PASSWORD     Op      data engineers: trigger, clear, backfill, pause,
                                                      connections, variables, pools
    AIRFLOW_VIEWER_USERNAME / _PASSWORD       Viewer  statisticians and officials: read runs, tasks
                                                      and logs, change nothing

All three are required (compose refuses to start without their passwords). Re-running
sets the passwords and roles from the environment again (so rotating a password is: change .env,
`docker compose run --rm airflow-init`). Passwords never reach a command line or a log.
"""

from __future__ import annotations

import os
import sys

# (environment prefix, FAB role, what the person is)
PEOPLE = (
    ("AIRFLOW_ADMIN", "Admin", "administrator"),
    ("AIRFLOW_ENGINEER", "Op", "data engineer"),
    ("AIRFLOW_VIEWER", "Viewer", "statistician / official"),
)


def wanted_users(environ: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """(username, password, role, description) for every person the environment names."""
    users = []
    for prefix, role, description in PEOPLE:
        username = environ.get(f"{prefix}_USERNAME", "").strip()
        password = environ.get(f"{prefix}_PASSWORD", "")
        if not username:
            raise SystemExit(f"{prefix}_USERNAME is not set (the {description})")
        if not password:
            raise SystemExit(f"{prefix}_PASSWORD is empty: set it in .env (the {description}'s password)")
        users.append((username, password, role, description))
    return users


def main() -> None:
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    users = wanted_users(dict(os.environ))
    with get_application_builder() as appbuilder:
        security = appbuilder.sm
        for username, password, role_name, description in users:
            role = security.find_role(role_name)
            if role is None:
                raise SystemExit(f"FAB has no role {role_name!r}: run `airflow db migrate` first")
            user = security.find_user(username=username)
            if user is None:
                created = security.add_user(username, username, description, f"{username}@qamtu.invalid",
                                            role, password)
                if not created:
                    raise SystemExit(f"could not create the user {username!r}")
                print(f"airflow-init: user {username!r} created with role {role_name}")
            else:
                user.roles = [role]
                security.update_user(user)
                security.reset_password(user.id, password)
                print(f"airflow-init: user {username!r} updated (role {role_name}, password from .env)")


if __name__ == "__main__":
    sys.exit(main())
