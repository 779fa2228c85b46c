"""Who may touch a registered model and its experiment: the snapshot's `permissions` section.

`capture_permissions` asks the tracking server's own permission API and returns
`(section, None)` or `(None, reason)` when the server says there is nothing to read
(no permission API: 404; credentials refused or not an admin: 401/403). Any other
reply, a fault (5xx, 429, reset, timeout, a reply cut short), raises
TrackingServerUnreachable: it says nothing about who may touch the model. The section is
`{"kind", "registered_model": P, "experiment": P}` with P =
`{"grants": [{"principal", "permission", "inherited"}], "raw": <service payload>}`
(docs/snapshot-format.md, "permissions"). Passwords and tokens are only ever in the
request headers MLflow's client builds, never in what is returned.

mlflow is imported inside functions: the parsers below run offline on recorded shapes.
"""

from __future__ import annotations

from snapshot.errors import TrackingServerUnreachable

LOCAL_REASON = "a local MLflow store has no permissions"
NO_AUTH_APP_REASON = "the tracking server does not run MLflow's basic-auth app, so it has no permission API"

# One request answers everything: users/list returns each user with their roles and
# each role's grants (mlflow/server/auth/__init__.py `list_users`).
_USERS_LIST = "/api/2.0/mlflow/users/list"
# MLflow names a user's direct grants' role `__user_<id>__` (sqlalchemy_store._SYNTHETIC_ROLE_NAME_RE).
_SYNTHETIC_ROLE_PREFIX = "__user_"
_ANY = "*"


def capture_permissions(
    tracking_uri: str, server_kind: str, model_name: str, experiment_id: str | None, is_unity_catalog: bool
) -> tuple[dict | None, str | None]:
    """The permissions section for `model_name` and `experiment_id`, or None and why not."""
    from snapshot.sources.faults import fault_error

    if server_kind == "local":
        return None, LOCAL_REASON
    try:
        if server_kind == "mlflow":
            return _capture_basic_auth(tracking_uri, model_name, experiment_id)
        if server_kind == "databricks":
            return _capture_databricks(tracking_uri, model_name, experiment_id, is_unity_catalog)
    except Exception as exc:  # 404/401/403 are answers, returned above: anything raised is a fault
        doing = f"reading the permissions of {model_name}"
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise (fault_error(exc, doing)
               or TrackingServerUnreachable(f"the permission API failed while {doing}: {first_line}")) from exc
    return None, f"a {server_kind!r} tracking server has no permission API snap knows"


# --- MLflow basic-auth app -------------------------------------------------------------


def _capture_basic_auth(tracking_uri: str, model_name: str, experiment_id: str | None):
    from mlflow.utils.credentials import get_default_host_creds
    from mlflow.utils.rest_utils import http_request

    creds = get_default_host_creds(tracking_uri)
    who = creds.username or "this client"
    response = http_request(creds, _USERS_LIST, "GET", max_retries=0, raise_on_status=False)
    if response.status_code == 404:
        return None, NO_AUTH_APP_REASON
    if response.status_code == 401:
        return None, (f"the tracking server refused the credentials of {who} (401): set "
                      "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD to an admin's")
    if response.status_code == 403:
        return None, _not_admin_reason(who)
    if response.status_code != 200:  # neither absent nor forbidden: no answer about permissions
        raise TrackingServerUnreachable(f"the permission API answered HTTP {response.status_code} to "
                                        f"{_USERS_LIST}; capture again when it answers")
    users = response.json().get("users", [])
    # A non-admin gets 200 too, but with every other user's roles silently emptied:
    # recording that would claim nobody else holds a grant.
    if not any(u.get("username") == creds.username and u.get("is_admin") for u in users):
        return None, _not_admin_reason(who)
    section = {"kind": "mlflow-basic-auth",
               "registered_model": basic_auth_grants(users, "registered_model", model_name)}
    section["experiment"] = (basic_auth_grants(users, "experiment", experiment_id)
                             if experiment_id is not None else None)
    return section, None


def _not_admin_reason(who: str) -> str:
    return f"{who} may not list other users' permissions (403): capture as an admin to record them"


def basic_auth_grants(users: list[dict], resource_type: str, resource_id: str) -> dict:
    """P for one resource from a `users/list` payload.

    A user's direct grant (their `__user_<id>__` role, exact name or id) is
    `user:<name>`, not inherited. A grant through a `*` pattern or a `workspace`
    grant reaches the resource from above: inherited. A named role's grant is held by
    `role:<name>` (its members are in `raw`). Admins may do anything: `MANAGE`, inherited.
    """
    grants, raw_users = set(), []
    for user in users:
        roles = []
        for role in user.get("roles", []):
            matching = [p for p in role.get("permissions", []) if _applies(p, resource_type, resource_id)]
            if not matching:
                continue
            roles.append({**role, "permissions": sorted(matching, key=lambda p: p.get("id", 0))})
            direct = role.get("name", "").startswith(_SYNTHETIC_ROLE_PREFIX)
            principal = f"user:{user['username']}" if direct else f"role:{role.get('name')}"
            for perm in matching:
                grants.add((principal, perm["permission"], perm.get("resource_pattern") != resource_id))
        if user.get("is_admin"):
            grants.add((f"user:{user['username']}", "MANAGE", True))
        if roles or user.get("is_admin"):
            raw_users.append({"username": user["username"], "is_admin": bool(user.get("is_admin")),
                              "roles": sorted(roles, key=lambda r: r.get("id", 0))})
    return {"grants": _sorted_grants(grants), "raw": {"users": sorted(raw_users, key=lambda u: u["username"])}}


def _applies(perm: dict, resource_type: str, resource_id: str) -> bool:
    kind, pattern = perm.get("resource_type"), perm.get("resource_pattern")
    if kind == "workspace":
        return pattern == _ANY
    return kind == resource_type and pattern in (resource_id, _ANY)


def _sorted_grants(grants) -> list[dict]:
    return [{"principal": p, "permission": perm, "inherited": inherited}
            for p, perm, inherited in sorted(set(grants))]


# --- Databricks workspace registry and Unity Catalog ------------------------------------
# These services cannot run here. The request paths follow the Databricks REST reference
# (Permissions API: /api/2.0/permissions/{registered-models|experiments}/{id}[/permissionLevels];
# Unity Catalog: /api/2.1/unity-catalog/{permissions|effective-permissions}/function/{full_name},
# registered models being `function` securables there). They were not verified against a
# live workspace from this project; the parsers are tested on recorded response shapes.


def _capture_databricks(tracking_uri: str, model_name: str, experiment_id: str | None, is_unity_catalog: bool):
    from urllib.parse import quote

    from mlflow.utils.databricks_utils import get_databricks_host_creds
    from mlflow.utils.rest_utils import http_request

    creds = get_databricks_host_creds(tracking_uri)

    def get(path: str, **params) -> dict:
        response = http_request(creds, path, "GET", params=params or None, raise_on_status=False)
        if response.status_code != 200:
            return {"error": f"{response.status_code}: {response.text[:300]}"}
        return response.json()

    if is_unity_catalog:
        name = quote(model_name, safe="")
        raw = {"permissions": get(f"/api/2.1/unity-catalog/permissions/function/{name}"),
               "effective_permissions": get(f"/api/2.1/unity-catalog/effective-permissions/function/{name}")}
        model = {"grants": grants_from_unity_catalog(raw), "raw": raw}
    else:
        found = get("/api/2.0/mlflow/databricks/registered-models/get", name=model_name)
        model_id = found.get("registered_model_databricks", {}).get("id")
        if model_id is None:
            return None, f"Databricks did not give the id of registered model {model_name!r}: {found.get('error')}"
        model = _databricks_object(get, "registered-models", model_id)
    experiment = _databricks_object(get, "experiments", experiment_id) if experiment_id else None
    return {"kind": "unity-catalog" if is_unity_catalog else "databricks",
            "registered_model": model, "experiment": experiment}, None


def _databricks_object(get, object_type: str, object_id: str) -> dict:
    levels = get(f"/api/2.0/permissions/{object_type}/{object_id}/permissionLevels")
    raw = {"permission_levels": levels.get("permission_levels", levels),
           "permissions": get(f"/api/2.0/permissions/{object_type}/{object_id}")}
    return {"grants": grants_from_databricks(raw), "raw": raw}


_DATABRICKS_PRINCIPALS = (("user_name", "user"), ("group_name", "group"),
                          ("service_principal_name", "service_principal"))


def grants_from_databricks(raw: dict) -> list[dict]:
    """Grants from `{"permission_levels": [...], "permissions": {...}}` (Permissions API).

    A permissions payload that is an error (`{"error": ...}`) has no grants.
    """
    grants = set()
    for entry in (raw.get("permissions") or {}).get("access_control_list", []):
        principal = next((f"{kind}:{entry[key]}" for key, kind in _DATABRICKS_PRINCIPALS if key in entry), None)
        if principal is None:
            continue
        for perm in entry.get("all_permissions", []):
            grants.add((principal, perm["permission_level"], bool(perm.get("inherited", False))))
    return _sorted_grants(grants)


def grants_from_unity_catalog(raw: dict) -> list[dict]:
    """Grants from `{"permissions": {...}, "effective_permissions": {...}}` (Unity Catalog).

    Direct grants come from `permissions`; `effective_permissions` adds what reaches
    the model from its schema or catalog (entries with `inherited_from_name`).
    Unity Catalog does not say whether a principal is a user, group or service
    principal, so the principal is its name as returned.
    """
    grants = set()
    for entry in (raw.get("permissions") or {}).get("privilege_assignments", []):
        for privilege in entry.get("privileges", []):
            grants.add((entry["principal"], privilege, False))
    for entry in (raw.get("effective_permissions") or {}).get("privilege_assignments", []):
        for privilege in entry.get("privileges", []):
            if privilege.get("inherited_from_name"):
                grants.add((entry["principal"], privilege["privilege"], True))
    return _sorted_grants(grants)
