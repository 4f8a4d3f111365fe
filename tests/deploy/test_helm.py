"""The Helm chart (infra/deploy/helm/mestocker), rendered for each region and validated offline.

Rendering: tests/deploy/helm_render.py, a renderer of the documented template subset the chart keeps
to (no helm binary here). Validation: every manifest against the Kubernetes JSON schemas shipped by
`kubernetes-validate` in strict mode (unknown fields fail), the Istio PeerAuthentication against
tests/deploy/schemas/istio-peerauthentication.schema.json. Then what the issue asks of the topology:
probes, HPA on CPU and chat turns in flight, PDBs, NetworkPolicies, secrets from a Secret, the GPU
model server, mTLS, and data locality per region.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from infra.settings import Settings
from tests.deploy.helm_render import Renderer, TemplateError, deep_merge, render_chart

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "infra" / "deploy" / "helm" / "mestocker"
REGIONS = {"bogota": "co-bog", "medellin": "co-mde", "barranquilla": "co-baq"}
KUBERNETES_VERSIONS = ["1.30.0", "1.34.0"]
ISTIO_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "istio-peerauthentication.schema.json").read_text())
ADAPTER = yaml.safe_load((CHART.parent / "prometheus-adapter-values.yaml").read_text())
CUSTOM_METRIC = "mestocker_chat_turns_in_flight"


def rendered(region: str = "bogota") -> list[dict[str, Any]]:
    return render_chart(CHART, CHART / f"values-{region}.yaml")


def kind(manifests: list[dict[str, Any]], wanted: str, name_suffix: str = "") -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == wanted and m["metadata"]["name"].endswith(name_suffix)]


def one(manifests: list[dict[str, Any]], wanted: str, name_suffix: str) -> dict[str, Any]:
    (found,) = kind(manifests, wanted, name_suffix)
    return found


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (first,) = deployment["spec"]["template"]["spec"]["containers"]
    return first


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("region", REGIONS)
def test_every_manifest_is_valid_kubernetes(region: str, version: str) -> None:
    manifests = rendered(region)
    assert len(manifests) >= 15
    for manifest in manifests:
        if manifest["apiVersion"].startswith("security.istio.io/"):
            jsonschema.validate(manifest, ISTIO_SCHEMA)
        else:
            kubernetes_validate.validate(manifest, version, strict=True)


def test_the_validators_are_strict() -> None:
    deployment = one(rendered(), "Deployment", "-api")
    container(deployment)["livenessProbes"] = container(deployment).pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[-1], strict=True)
    peer = one(rendered(), "PeerAuthentication", "-mtls")
    peer["spec"]["mtls"]["mode"] = "ON"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(peer, ISTIO_SCHEMA)


def test_the_renderer_refuses_what_it_does_not_understand(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "Chart.yaml").write_text("name: x\nversion: 0.1.0\n")
    (tmp_path / "templates" / "a.yaml").write_text("{{ with .Values.x }}{{ . }}{{ end }}\n")
    with pytest.raises(TemplateError):
        Renderer(tmp_path)
    (tmp_path / "templates" / "a.yaml").write_text("a: {{ .Values.x | nope }}\n")
    with pytest.raises(TemplateError):
        Renderer(tmp_path).render({"x": 1})
    (tmp_path / "templates" / "a.yaml").write_text("a: {{ .Values.m }}\n")
    with pytest.raises(TemplateError, match="toYaml"):
        Renderer(tmp_path).render({"m": {"k": 1}})
    (tmp_path / "templates" / "a.yaml").write_text('a: {{ required "x is needed" .Values.x }}\n')
    with pytest.raises(TemplateError, match="x is needed"):
        Renderer(tmp_path).render({})
    (tmp_path / "templates" / "a.yaml").write_text(
        'l:\n  {{- range .Values.l }}\n  - {{ . | quote }}\n  {{- end }}\nn: {{ .Values.n | default 3 }}\n')
    assert yaml.safe_load(Renderer(tmp_path).render({"l": [1, "b"], "n": 0})["a.yaml"]) == {"l": ["1", "b"], "n": 3}


def test_the_chart_needs_a_region_file() -> None:
    with pytest.raises(TemplateError, match=r"region\.name"):
        render_chart(CHART)


@pytest.mark.parametrize("component", ["api", "worker"])
def test_api_and_worker_probe_liveness_and_readiness(component: str) -> None:
    app = container(one(rendered(), "Deployment", f"-{component}"))
    liveness, readiness = app["livenessProbe"]["httpGet"], app["readinessProbe"]["httpGet"]
    assert liveness["path"] == "/healthz" and readiness["path"] == "/readyz"
    ports = {p["name"]: p["containerPort"] for p in app["ports"]}
    assert liveness["port"] in ports and readiness["port"] in ports
    if component == "worker":
        env = {e["name"]: e["value"] for e in app["env"]}
        assert int(env["MESTOCKER_WORKER_HEALTH_PORT"]) == ports["health"]
        assert app["command"] == ["mestocker", "worker"]
    else:
        assert ports["http"] == 8000 and app["command"][:2] == ["mestocker", "serve"]
    # The readiness probe waits longer than /readyz's slowest check (infra/readiness.py: 1.5 s each).
    assert app["readinessProbe"]["timeoutSeconds"] >= 5


def test_pods_run_as_the_images_unprivileged_user_with_a_read_only_root() -> None:
    for deployment in kind(rendered(), "Deployment"):
        if deployment["metadata"]["name"].endswith("-vllm"):
            continue
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
        security = container(deployment)["securityContext"]
        assert security["readOnlyRootFilesystem"] and not security["allowPrivilegeEscalation"]
        mounts = {m["mountPath"] for m in container(deployment)["volumeMounts"]}
        assert {"/app/var", "/tmp"} <= mounts, "the writable paths are volumes"


def test_the_api_scales_on_cpu_and_on_chat_turns_in_flight_through_the_adapter() -> None:
    hpa = one(rendered(), "HorizontalPodAutoscaler", "-api")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "mestocker-api"}
    metrics = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert metrics["Resource"]["resource"]["name"] == "cpu"
    assert metrics["Pods"]["pods"]["metric"]["name"] == CUSTOM_METRIC
    assert metrics["Pods"]["pods"]["target"]["type"] == "AverageValue"
    (rule,) = ADAPTER["rules"]["custom"]
    assert rule["name"]["as"] == CUSTOM_METRIC and CUSTOM_METRIC in rule["seriesQuery"]
    assert rule["resources"]["overrides"]["pod"] == {"resource": "pod"}, "per pod, as the HPA averages it"
    assert "replicas" not in one(rendered(), "Deployment", "-api")["spec"], "the HPA owns the replica count"
    assert one(rendered(), "HorizontalPodAutoscaler", "-worker")["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_disruption_budgets_select_the_pods_of_their_deployment() -> None:
    manifests = rendered()
    for component in ("api", "worker"):
        pdb = one(manifests, "PodDisruptionBudget", f"-{component}")
        labels = one(manifests, "Deployment", f"-{component}")["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    hpa_min = one(manifests, "HorizontalPodAutoscaler", "-api")["spec"]["minReplicas"]
    assert one(manifests, "PodDisruptionBudget", "-api")["spec"]["minAvailable"] < hpa_min, "a node can drain"


def test_network_policies_deny_by_default_and_open_only_the_topology() -> None:
    manifests = rendered()
    deny = one(manifests, "NetworkPolicy", "-default-deny")
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny["spec"]
    api = one(manifests, "NetworkPolicy", "-api-ingress")["spec"]["ingress"][0]
    namespaces = {peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for peer in api["from"]}
    assert namespaces == {"kong", "monitoring"} and api["ports"] == [{"port": 8000, "protocol": "TCP"}]
    vllm = one(manifests, "NetworkPolicy", "-vllm-ingress")["spec"]["ingress"][0]["from"][0]
    assert vllm["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "mestocker"
    egress = one(manifests, "NetworkPolicy", "-egress")["spec"]["egress"]
    data_ports = {p["port"] for rule in egress for p in rule.get("ports", [])}
    assert {53, 5432, 6379, 9092, 9200} <= data_ports


def test_closing_external_https_keeps_every_turn_inside() -> None:
    values = deep_merge(yaml.safe_load((CHART / "values.yaml").read_text()),
                        yaml.safe_load((CHART / "values-bogota.yaml").read_text()))
    values["networkPolicy"]["allowExternalHttps"] = False
    manifests = [d for text in Renderer(CHART).render(values).values() for d in yaml.safe_load_all(text) if d]
    egress = one(manifests, "NetworkPolicy", "-egress")["spec"]["egress"]
    assert not any("ipBlock" in peer for rule in egress for peer in rule["to"])


def test_credentials_come_from_a_kubernetes_secret_and_settings_are_real_fields() -> None:
    manifests = rendered()
    assert not kind(manifests, "Secret"), "the chart never holds credentials"
    for deployment in [*kind(manifests, "Deployment", "-api"), *kind(manifests, "Deployment", "-worker"),
                       *kind(manifests, "Job")]:
        sources = container(deployment)["envFrom"] if deployment["kind"] == "Deployment" else \
            deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]
        assert {"secretRef": {"name": "mestocker-credentials"}} in sources
        assert {"configMapRef": {"name": "mestocker-config"}} in sources
    data = one(manifests, "ConfigMap", "-config")["data"]
    fields = set(Settings.model_fields)
    assert all(key.startswith("MESTOCKER_") and key[10:].lower() in fields for key in data), data
    for secret_setting in ("MESTOCKER_JWT_SECRET", "MESTOCKER_DATABASE_URL", "MESTOCKER_ELASTICSEARCH_API_KEY",
                           "MESTOCKER_ENCRYPTION_KEYS"):
        assert secret_setting not in data
    # With the secret's two required values, the ConfigMap makes valid production settings.
    values = {k[10:].lower(): v for k, v in data.items()}
    settings = Settings(_env_file=None, **values, jwt_secret="s" * 40,  # type: ignore[call-arg]
                        database_url="postgresql://u:p@postgres.mestocker-data.svc.cluster.local:5432/mestocker")
    assert settings.is_production and settings.local_llm_base_url == "http://mestocker-vllm:8000/v1"


def test_vllm_requests_a_gpu_and_serves_the_model_the_app_asks_for() -> None:
    manifests = rendered()
    vllm = one(manifests, "Deployment", "-vllm")
    server = container(vllm)
    assert server["resources"]["requests"]["nvidia.com/gpu"] == 1
    assert server["resources"]["limits"]["nvidia.com/gpu"] == 1
    args = server["args"]
    config = one(manifests, "ConfigMap", "-config")["data"]
    assert args[args.index("--served-model-name") + 1] == config["MESTOCKER_LOCAL_LLM_MODEL"]
    service = one(manifests, "Service", "-vllm")
    assert config["MESTOCKER_LOCAL_LLM_BASE_URL"] == f"http://{service['metadata']['name']}:{service['spec']['ports'][0]['port']}/v1"
    assert vllm["spec"]["template"]["spec"]["tolerations"][0]["key"] == "nvidia.com/gpu"


def test_istio_requires_mutual_tls() -> None:
    peer = one(rendered(), "PeerAuthentication", "-mtls")
    assert peer["apiVersion"] == "security.istio.io/v1" and peer["spec"]["mtls"]["mode"] == "STRICT"
    assert "selector" not in peer["spec"], "namespace-wide"


@pytest.mark.parametrize(("region", "code"), REGIONS.items())
def test_each_region_stays_on_its_own_nodes(region: str, code: str) -> None:
    manifests = rendered(region)
    for manifest in manifests:
        assert manifest["metadata"]["labels"]["mestocker.co/region"] == code
    for deployment in kind(manifests, "Deployment"):
        terms = deployment["spec"]["template"]["spec"]["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert terms == [{"matchExpressions": [{"key": "topology.kubernetes.io/region", "operator": "In",
                                                "values": [code]}]}]


def test_the_regions_differ_only_in_region_and_size() -> None:
    allowed = {"region", "api", "worker", "vllm", "config"}
    for region in REGIONS:
        override = yaml.safe_load((CHART / f"values-{region}.yaml").read_text())
        assert set(override) <= allowed, f"values-{region}.yaml sets {set(override) - allowed}"
        assert set(override.get("vllm", {})) <= {"replicas"}
        assert set(override.get("config", {})) <= {"MESTOCKER_DATABASE_POOL_SIZE"}


def test_migrations_run_before_and_the_search_index_after_each_release() -> None:
    manifests = rendered()
    migrate = one(manifests, "Job", "-migrate")
    assert migrate["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert migrate["spec"]["template"]["spec"]["containers"][0]["command"] == ["mestocker", "migrate"]
    index = one(manifests, "Job", "-search-index")
    assert index["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
    assert index["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "mestocker", "search", "reindex", "--if-missing"]


def test_the_reorder_schedule_runs_in_the_worker_or_as_a_cronjob_never_both() -> None:
    assert not kind(rendered(), "CronJob")
    assert "MESTOCKER_REORDER_INTERVAL_MINUTES" not in one(rendered(), "ConfigMap", "-config")["data"]
    values = deep_merge(yaml.safe_load((CHART / "values.yaml").read_text()),
                        yaml.safe_load((CHART / "values-medellin.yaml").read_text()))
    values["reorder"]["cronjob"]["enabled"] = True
    manifests = [d for text in Renderer(CHART).render(values).values() for d in yaml.safe_load_all(text) if d]
    cron = one(manifests, "CronJob", "-reorder")
    kubernetes_validate.validate(cron, KUBERNETES_VERSIONS[-1], strict=True)
    assert cron["spec"]["timeZone"] == "America/Bogota" and cron["spec"]["concurrencyPolicy"] == "Forbid"
    job = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert job["containers"][0]["command"][:3] == ["mestocker", "reorder", "run"]
    assert one(manifests, "ConfigMap", "-config")["data"]["MESTOCKER_REORDER_INTERVAL_MINUTES"] == "0"
