#!/usr/bin/env python3
"""Writes the Grafana dashboards of nats-exporter (nats-overview.json, nats-latency.json,
nats-jetstream.json, nats-services.json) next to this script.

    python3 dashboards/grafana/generate.py           # rewrite the JSON files
    python3 dashboards/grafana/generate.py --check   # exit 1 when a JSON file differs from this script

The JSON files are what users import; this script is their source, so every panel shares the same
datasource handling, selectors and conventions. Edit here, run it, commit both (the e2e lint test
runs --check). Standard library only.

Conventions:
- No datasource uid anywhere: every panel and variable uses the `datasource` variable (type
  prometheus), so the files import into any Grafana 10+ and also work from file provisioning.
- Template variables: job, cluster, server (server_name), and probe, account, stream, consumer where
  they apply; multi-value with "All" = `.*`, so a selector `label=~"$var"` also matches series where
  the label is empty (a standalone server has cluster="").
- Counters only through rate()/increase() with $__rate_interval (or $__range for "in the selected
  range" stats).
- JetStream stream and consumer series exist once, from the asset's leader: panels take
  `max by (cluster, account, stream[, consumer])`, never sum (a sum would count an asset twice for
  the moment leadership moves, or when two exporters read the same leader). They filter by cluster
  but not by server: the server_name of an asset is merely its current leader.
- The probe latency quantiles come from the recording rules in dashboards/alerts/nats-recording.yaml
  (the same series the alerts use), the heatmaps from the raw histogram buckets.

The latency dashboard opens with the doctor's findings table, right after the headline stats.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DS = {"type": "prometheus", "uid": "${datasource}"}

SRV = 'job=~"$job", cluster=~"$cluster", server_name=~"$server"'
PROBE = 'job=~"$job", probe=~"$probe"'
JOB = 'job=~"$job"'


# ---------------------------------------------------------------------------------------------
# Building blocks

def target(expr, legend="", instant=False, fmt=None, ref=None):
    t = {"datasource": DS, "editorMode": "code", "expr": expr, "legendFormat": legend,
         "range": not instant, "instant": instant}
    if fmt:
        t["format"] = fmt
    if ref:
        t["refId"] = ref
    return t


def thresholds(*steps):
    """steps: (value, color) pairs after the base color, e.g. ("green", (0.01, "yellow"))."""
    base, rest = steps[0], steps[1:]
    return {"mode": "absolute",
            "steps": [{"color": base, "value": None}] + [{"color": c, "value": v} for v, c in rest]}


def with_refs(targets):
    for i, t in enumerate(targets):
        t.setdefault("refId", chr(ord("A") + i))
    return targets


def timeseries(title, description, targets, unit, stack=False, bars=False, log=False, minimum=0,
               overrides=None, calcs=("lastNotNull", "max")):
    custom = {"drawStyle": "bars" if bars else "line", "lineWidth": 1, "fillOpacity": 60 if bars else 10,
              "showPoints": "never", "spanNulls": False, "axisSoftMin": minimum,
              "stacking": {"mode": "normal" if stack else "none", "group": "A"},
              "scaleDistribution": {"type": "log", "log": 10} if log else {"type": "linear"}}
    return {"type": "timeseries", "title": title, "description": description, "datasource": DS,
            "targets": with_refs(targets),
            "fieldConfig": {"defaults": {"unit": unit, "custom": custom, "color": {"mode": "palette-classic"}},
                            "overrides": overrides or []},
            "options": {"legend": {"showLegend": True, "displayMode": "table", "placement": "bottom",
                                   "calcs": list(calcs)},
                        "tooltip": {"mode": "multi", "sort": "desc"}}}


def stat(title, description, targets, unit, steps=("green",), mappings=None, text_mode="auto", decimals=None):
    defaults = {"unit": unit, "thresholds": thresholds(*steps), "color": {"mode": "thresholds"},
                "mappings": mappings or []}
    if decimals is not None:
        defaults["decimals"] = decimals
    return {"type": "stat", "title": title, "description": description, "datasource": DS,
            "targets": with_refs(targets),
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "value", "graphMode": "area", "justifyMode": "auto",
                        "orientation": "auto", "textMode": text_mode}}


def bargauge(title, description, targets, unit, steps, maximum=1):
    return {"type": "bargauge", "title": title, "description": description, "datasource": DS,
            "targets": with_refs(targets),
            "fieldConfig": {"defaults": {"unit": unit, "min": 0, "max": maximum, "thresholds": thresholds(*steps),
                                         "color": {"mode": "thresholds"}},
                            "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "displayMode": "gradient", "orientation": "horizontal", "showUnfilled": True}}


def table(title, description, targets, unit, rename=None, hide=("Time", "job", "instance", "__name__"),
          value_units=None, sort_by=None):
    """An instant table. With several targets their rows are merged on the common labels; `rename`
    maps the value columns ("Value #A", …) to names, `value_units` gives a unit per renamed column."""
    targets = with_refs([dict(t, instant=True, range=False, format="table") for t in targets])
    transformations = []
    if len(targets) > 1:
        transformations.append({"id": "merge", "options": {}})
    transformations.append({"id": "organize", "options": {
        "excludeByName": {h: True for h in hide}, "indexByName": {}, "renameByName": rename or {}}})
    overrides = [{"matcher": {"id": "byName", "options": name},
                  "properties": [{"id": "unit", "value": u}]} for name, u in (value_units or {}).items()]
    options = {"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"], "fields": ""}}
    if sort_by:
        options["sortBy"] = [{"displayName": sort_by, "desc": True}]
    return {"type": "table", "title": title, "description": description, "datasource": DS,
            "targets": targets, "transformations": transformations,
            "fieldConfig": {"defaults": {"unit": unit, "custom": {"align": "auto", "displayMode": "auto"}},
                            "overrides": overrides},
            "options": options}


def heatmap(title, description, expr):
    return {"type": "heatmap", "title": title, "description": description, "datasource": DS,
            "targets": with_refs([target(expr, "{{le}}", fmt="heatmap")]),
            "fieldConfig": {"defaults": {"custom": {"hideFrom": {"legend": False, "tooltip": False, "viz": False},
                                                    "scaleDistribution": {"type": "linear"}}},
                            "overrides": []},
            "options": {"calculate": False, "cellGap": 1,
                        "color": {"mode": "scheme", "scheme": "Oranges", "fill": "dark", "scale": "exponential",
                                  "exponent": 0.5, "steps": 64, "reverse": False},
                        "exemplars": {"color": "rgba(255,0,255,0.7)"},
                        "filterValues": {"le": 1e-9},
                        "legend": {"show": True},
                        "rowsFrame": {"layout": "auto"},
                        "tooltip": {"show": True, "yHistogram": True},
                        "yAxis": {"axisPlacement": "left", "reverse": False, "unit": "s"}}}


def color_override(name, color):
    return {"matcher": {"id": "byName", "options": name},
            "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": color}}]}


def dashed_override(regex):
    return {"matcher": {"id": "byRegexp", "options": regex},
            "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
                           {"id": "custom.fillOpacity", "value": 0}]}


def var_datasource():
    return {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
            "current": {}, "hide": 0, "includeAll": False, "multi": False, "options": [], "refresh": 1,
            "regex": "", "skipUrlSync": False}


def var_query(name, label, query, description):
    return {"name": name, "label": label, "description": description, "type": "query", "datasource": DS,
            "query": query, "definition": query,
            "current": {}, "hide": 0, "includeAll": True, "allValue": ".*", "multi": True, "options": [],
            "refresh": 2, "regex": "", "skipUrlSync": False, "sort": 1}


VAR_JOB = var_query("job", "Job", "label_values(nats_up, job)", "Prometheus job(s) scraping nats-exporter.")
VAR_CLUSTER = var_query("cluster", "Cluster", 'label_values(nats_server_info{job=~"$job"}, cluster)',
                        "NATS cluster (label cluster). All also matches standalone servers (no cluster).")
VAR_SERVER = var_query("server", "Server", 'label_values(nats_server_info{job=~"$job", cluster=~"$cluster"}, server_name)',
                       "NATS server (label server_name).")
VAR_PROBE = var_query("probe", "Probe", 'label_values(nats_probe_connected{job=~"$job"}, probe)',
                      "Client probe of nats-exporter (config key probes:).")
VAR_ACCOUNT = var_query("account", "Account",
                        'label_values(nats_jetstream_stream_messages{job=~"$job", cluster=~"$cluster"}, account)',
                        "JetStream account.")


def var_stream(with_account):
    account = ', account=~"$account"' if with_account else ""
    return var_query("stream", "Stream",
                     f'label_values(nats_jetstream_stream_messages{{job=~"$job", cluster=~"$cluster"{account}}}, stream)',
                     "JetStream stream.")


VAR_CONSUMER = var_query("consumer", "Consumer",
                         'label_values(nats_jetstream_consumer_pending_messages{job=~"$job", cluster=~"$cluster", stream=~"$stream"}, consumer)',
                         "JetStream consumer (durable name).")


class Dashboard:
    def __init__(self, uid, title, description, variables, annotations=()):
        self.uid, self.title, self.description = uid, title, description
        self.variables = [var_datasource()] + list(variables)
        self.annotations = list(annotations)
        self.panels = []
        self.next_id = 1
        self.x = self.y = self.row_height = 0

    def _newline(self):
        self.y += self.row_height
        self.x = self.row_height = 0

    def row(self, title):
        if self.x:
            self._newline()
        self.panels.append({"type": "row", "title": title, "collapsed": False, "panels": [],
                            "id": self.next_id, "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}})
        self.next_id += 1
        self.y += 1

    def add(self, panel, w, h):
        if self.x + w > 24:
            self._newline()
        panel = dict(panel, id=self.next_id, gridPos={"h": h, "w": w, "x": self.x, "y": self.y})
        self.next_id += 1
        self.panels.append(panel)
        self.x += w
        self.row_height = max(self.row_height, h)

    def json(self):
        builtin = {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
                   "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts",
                   "type": "dashboard"}
        panel_types = sorted({p["type"] for p in self.panels if p["type"] != "row"})
        return {
            "__requires": [{"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0"},
                           {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"}]
                          + [{"type": "panel", "id": t, "name": t, "version": ""} for t in panel_types],
            "annotations": {"list": [builtin] + self.annotations},
            "description": self.description,
            "editable": True,
            "fiscalYearStartMonth": 0,
            "graphTooltip": 1,
            "id": None,
            "links": [{"title": "NATS dashboards", "type": "dashboards", "tags": ["nats-exporter"], "asDropdown": True,
                       "includeVars": True, "keepTime": True, "icon": "external link", "targetBlank": False,
                       "tooltip": "", "url": ""}],
            "liveNow": False,
            "panels": self.panels,
            "refresh": "30s",
            "schemaVersion": 38,
            "style": "dark",
            "tags": ["nats", "nats-exporter"],
            "templating": {"list": self.variables},
            "time": {"from": "now-1h", "to": "now"},
            "timepicker": {},
            "timezone": "",
            "title": self.title,
            "uid": self.uid,
            "version": 1,
            "weekStart": "",
        }


RESTARTS = {"name": "Server restarts", "datasource": DS, "enable": True, "hide": False, "iconColor": "orange",
            "expr": f"changes(nats_server_start_time_seconds{{{SRV}}}[2m]) > 0",
            "step": "1m", "titleFormat": "nats-server {{server_name}} restarted", "tagKeys": "server_name,cluster",
            "textFormat": "", "useValueForTime": False}


# ---------------------------------------------------------------------------------------------
# NATS overview

def overview():
    d = Dashboard("nats-exporter-overview", "NATS overview",
                  "Servers, clients, traffic, resources and the links between servers (routes, gateways, leaf "
                  "nodes), as nats-exporter reads them from the monitoring endpoints.",
                  [VAR_JOB, VAR_CLUSTER, VAR_SERVER], [RESTARTS])

    d.row("Servers")
    d.add(stat("Targets up",
               "Monitoring targets whose endpoints the exporters read in the last scrape (nats_up), out of all "
               "configured. Fewer up than configured: a server is down or its monitoring port is unreachable "
               "(alert NatsTargetDown).",
               [target(f"sum(nats_up{{{JOB}}})", "up"), target(f"count(nats_up{{{JOB}}})", "configured")],
               "none", text_mode="value_and_name"), 4, 4)
    d.add(stat("Unhealthy servers",
               "Servers whose /healthz does not answer ok (nats_server_healthy = 0): up but not ready, usually "
               "JetStream not current. Anything above 0 is red (alert NatsServerUnhealthy).",
               [target(f"count(nats_server_healthy{{{SRV}}} == 0) or vector(0)", "unhealthy")],
               "none", steps=("green", (1, "red"))), 4, 4)
    d.add(stat("Connections now",
               "Client connections open on the selected servers now. A sudden drop or jump points at a "
               "restart, a failover or a reconnect storm.",
               [target(f"sum(nats_server_connections{{{SRV}}})", "connections")], "short"), 4, 4)
    d.add(stat("Messages in",
               "Messages per second the selected servers receive (from clients, routes, gateways and leafs).",
               [target(f"sum(rate(nats_server_messages_received_total{{{SRV}}}[$__rate_interval]))", "in")],
               "mps"), 4, 4)
    d.add(stat("Slow consumers in range",
               "Slow consumers the servers flagged in the selected time range: clients that could not keep up and "
               "lost messages or were disconnected. Should be 0 (alert NatsSlowConsumers).",
               [target(f"sum(increase(nats_server_slow_consumers_total{{{SRV}}}[$__range]))", "slow consumers")],
               "short", steps=("green", (1, "red")), decimals=0), 4, 4)
    d.add(stat("Youngest server uptime",
               "Time since the most recently started of the selected servers started. Minutes here explain "
               "reconnects and latency spikes in the same period.",
               [target(f"min(time() - nats_server_start_time_seconds{{{SRV}}})", "uptime")],
               "s", steps=("orange", (600, "green"))), 4, 4)
    d.add(table("Servers",
                "One row per server: version, uptime, health and connections. Mixed versions during an upgrade "
                "are normal; a server that stays on the old version or keeps a small uptime is not.",
                [target(f"max by (cluster, server_name, version, go_version) (nats_server_info{{{SRV}}})"),
                 target(f"max by (cluster, server_name) (time() - nats_server_start_time_seconds{{{SRV}}})"),
                 target(f"max by (cluster, server_name) (nats_server_healthy{{{SRV}}})"),
                 target(f"max by (cluster, server_name) (nats_server_connections{{{SRV}}})")],
                "none", rename={"Value #B": "uptime", "Value #C": "healthy", "Value #D": "connections",
                                "server_name": "server", "go_version": "go"},
                hide=("Time", "Value #A"), value_units={"uptime": "s"}), 12, 7)
    d.add(timeseries("Exporter: failing collectors",
                     "Targets on which a collector failed in the last scrape, per collector. Non-zero while the "
                     "target is up: that endpoint times out, returns something unparsable or is disabled on the "
                     "server; its panels are blind (alert NatsExporterCollectorFailing).",
                     [target(f"sum by (collector) (1 - nats_exporter_collector_success{{{JOB}}})", "{{collector}}")],
                     "short"), 6, 7)
    d.add(timeseries("Exporter: collector duration",
                     "Slowest target per collector, per scrape. A collector close to the scrape timeout (connz on "
                     "servers with many connections) is the first to fail.",
                     [target(f"max by (collector) (nats_exporter_collector_duration_seconds{{{JOB}}})", "{{collector}}")],
                     "s"), 6, 7)

    d.row("Clients")
    d.add(timeseries("Client connections",
                     "Open client connections per server. Unbalanced servers after a restart are normal until "
                     "clients reconnect elsewhere; a steady climb may be a connection leak.",
                     [target(f"sum by (server_name) (nats_server_connections{{{SRV}}})", "{{server_name}}")],
                     "short"), 8, 8)
    d.add(timeseries("New connections",
                     "Connections accepted per second. Spikes are reconnect storms (a server restart, a network "
                     "blip, clients failing authentication and retrying).",
                     [target(f"sum by (server_name) (rate(nats_server_connections_total{{{SRV}}}[$__rate_interval]))",
                             "{{server_name}}")],
                     "cps"), 8, 8)
    d.add(timeseries("Subscriptions",
                     "Subscriptions registered per server (including route and leaf interest). Many subscriptions "
                     "with a low sublist cache hit ratio cost latency on every publish.",
                     [target(f"sum by (server_name) (nats_server_subscriptions{{{SRV}}})", "{{server_name}}")],
                     "short"), 8, 8)
    d.add(timeseries("Slow consumers",
                     "Slow consumers per interval, by server and by account. Each one is a client that the server "
                     "dropped messages for or disconnected because it did not read fast enough. Find it in the "
                     "latency dashboard's top connections by pending bytes.",
                     [target(f"sum by (server_name) (increase(nats_server_slow_consumers_total{{{SRV}}}[$__rate_interval]))",
                             "{{server_name}}"),
                      target(f"sum by (account) (increase(nats_account_slow_consumers_total{{{SRV}}}[$__rate_interval]))",
                             "account {{account}}")],
                     "short", bars=True), 12, 8)
    d.add(timeseries("Client pending bytes and max RTT",
                     "Bytes the server has buffered for all its clients, and the highest client RTT it measured. "
                     "Pending that stays up means some client reads slower than it is sent to.",
                     [target(f"sum by (server_name) (nats_connz_pending_bytes{{{SRV}}})", "{{server_name}} pending"),
                      target(f"max by (server_name) (nats_connz_max_rtt_seconds{{{SRV}}})", "{{server_name}} max RTT")],
                     "bytes", overrides=[{"matcher": {"id": "byRegexp", "options": ".*max RTT"},
                                          "properties": [{"id": "unit", "value": "s"},
                                                         {"id": "custom.axisPlacement", "value": "right"}]}]), 12, 8)

    d.row("Traffic")
    d.add(timeseries("Messages",
                     "Messages per second in and out per server. Out much larger than in is fan-out; a sudden drop "
                     "of out with steady in means subscribers went away.",
                     [target(f"sum by (server_name) (rate(nats_server_messages_received_total{{{SRV}}}[$__rate_interval]))",
                             "{{server_name}} in"),
                      target(f"sum by (server_name) (rate(nats_server_messages_sent_total{{{SRV}}}[$__rate_interval]))",
                             "{{server_name}} out")],
                     "mps"), 8, 8)
    d.add(timeseries("Bytes",
                     "Payload bytes per second in and out per server. Compare with the network capacity: "
                     "a saturated link adds latency to everything.",
                     [target(f"sum by (server_name) (rate(nats_server_bytes_received_total{{{SRV}}}[$__rate_interval]))",
                             "{{server_name}} in"),
                      target(f"sum by (server_name) (rate(nats_server_bytes_sent_total{{{SRV}}}[$__rate_interval]))",
                             "{{server_name}} out")],
                     "Bps"), 8, 8)
    d.add(timeseries("Messages by account",
                     "Messages per second received per account, over the selected servers: which tenant makes "
                     "the load.",
                     [target(f"sum by (account) (rate(nats_account_messages_received_total{{{SRV}}}[$__rate_interval]))",
                             "{{account}}")],
                     "mps"), 8, 8)

    d.row("Resources")
    d.add(timeseries("CPU",
                     "CPU used by each nats-server process in cores (1 = one core busy), against the cores Go "
                     "may use (GOMAXPROCS, dashed). A server near its GOMAXPROCS queues work: latency rises.",
                     [target(f"nats_server_cpu_cores{{{SRV}}}", "{{server_name}}"),
                      target(f"nats_server_gomaxprocs{{{SRV}}}", "{{server_name}} GOMAXPROCS")],
                     "short", overrides=[dashed_override(".*GOMAXPROCS")]), 12, 8)
    d.add(timeseries("Memory",
                     "Resident memory of each nats-server process. Growth with pending bytes means the server "
                     "buffers for slow clients; steady growth without it deserves a look at JetStream memory "
                     "streams and subscriptions.",
                     [target(f"nats_server_memory_bytes{{{SRV}}}", "{{server_name}}")],
                     "bytes"), 12, 8)

    d.row("Routes, gateways and leaf nodes")
    d.add(timeseries("Links per server",
                     "Route connections (cluster), outbound and inbound gateways (super-cluster) and leaf node "
                     "connections per server. A step down is a lost link (alerts NatsRouteMissing, "
                     "NatsGatewayMissing, NatsLeafnodeMissing).",
                     [target(f"nats_server_routes{{{SRV}}}", "{{server_name}} routes"),
                      target(f"nats_gatewayz_outbound_gateways{{{SRV}}}", "{{server_name}} gateways out"),
                      target(f"nats_gatewayz_inbound_gateways{{{SRV}}}", "{{server_name}} gateways in"),
                      target(f"nats_server_leafnodes{{{SRV}}}", "{{server_name}} leaf nodes")],
                     "short"), 12, 8)
    d.add(timeseries("Link traffic",
                     "Messages per second sent over routes, gateways and leaf node connections. Heavy route "
                     "traffic means publishers and subscribers sit on different servers: every such message "
                     "takes one more hop.",
                     [target(f"sum by (server_name) (rate(nats_route_messages_sent_total{{{SRV}}}[$__rate_interval]))",
                             "{{server_name}} routes"),
                      target(f"sum by (server_name) (rate(nats_gateway_messages_sent_total{{{SRV}}}[$__rate_interval]))",
                             "{{server_name}} gateways"),
                      target(f"sum by (server_name) (rate(nats_leafnode_messages_sent_total{{{SRV}}}[$__rate_interval]))",
                             "{{server_name}} leaf nodes")],
                     "mps"), 12, 8)
    d.add(timeseries("Route RTT",
                     "Round trip the server measured on each route. Every message between servers of a cluster "
                     "pays it once more; it should be LAN-like (below a millisecond) and flat.",
                     [target(f"nats_route_rtt_seconds{{{SRV}}}", "{{server_name}} → {{remote}}")], "s"), 8, 8)
    d.add(timeseries("Gateway RTT",
                     "Round trip on each gateway connection (to or from another cluster). This is the WAN hop of "
                     "cross-cluster requests; a rise shows up directly in their latency.",
                     [target(f"nats_gateway_rtt_seconds{{{SRV}}}", "{{server_name}} → {{gateway}} ({{direction}})")],
                     "s"), 8, 8)
    d.add(timeseries("Leaf node RTT",
                     "Round trip on each leaf node connection. Leaf nodes are often remote (edge sites): compare "
                     "with what the site's network should give.",
                     [target(f"nats_leafnode_rtt_seconds{{{SRV}}}", "{{server_name}} ↔ {{remote}} ({{account}})")],
                     "s"), 8, 8)
    d.add(timeseries("Route pending bytes",
                     "Bytes buffered for each route. Should be near 0; growth means the peer or the network "
                     "cannot take the traffic, and every message routed through it waits.",
                     [target(f"nats_route_pending_bytes{{{SRV}}}", "{{server_name}} → {{remote}}")], "bytes"), 8, 8)
    d.add(timeseries("Gateway pending bytes",
                     "Bytes buffered for each gateway connection. Growth: the remote cluster or the WAN link is "
                     "too slow for the cross-cluster traffic.",
                     [target(f"nats_gateway_pending_bytes{{{SRV}}}", "{{server_name}} → {{gateway}} ({{direction}})")],
                     "bytes"), 8, 8)
    d.add(timeseries("Leaf node pending bytes",
                     "Bytes buffered for each leaf node connection (nats-server 2.10 and later; 2.9 does not "
                     "report it and the panel stays empty). Growth: the leaf's link is too slow.",
                     [target(f"nats_leafnode_pending_bytes{{{SRV}}}", "{{server_name}} ↔ {{remote}} ({{account}})")],
                     "bytes"), 8, 8)
    return d


# ---------------------------------------------------------------------------------------------
# Latency and backlog

def latency():
    jsc = 'job=~"$job", cluster=~"$cluster", stream=~"$stream", consumer=~"$consumer"'
    by_consumer = "max by (cluster, account, stream, consumer)"
    d = Dashboard("nats-exporter-latency", "NATS latency and backlog",
                  "The dashboard to open first when a service's latency is high: what a NATS client feels (the "
                  "client probe), the server-side connections with the largest queues and RTT, and the JetStream "
                  "consumers that fall behind.",
                  [VAR_JOB, VAR_PROBE, VAR_CLUSTER, VAR_SERVER, var_stream(False), VAR_CONSUMER], [RESTARTS])

    d.row("Is it NATS? (client probe)")
    d.add(stat("Request p99 (5m)",
               "99th percentile of the probe's request/reply round trip over 5 minutes, per probe. On a LAN NATS "
               "answers in tens to hundreds of microseconds: milliseconds point at a busy server, a slow network "
               "or a CPU-starved client; red is the alert threshold (50ms, NatsProbeHighLatency).",
               [target(f"nats_probe:request_duration_seconds:p99_5m{{{PROBE}}}", "{{probe}}")],
               "s", steps=("green", (0.01, "yellow"), (0.05, "red")), text_mode="value_and_name"), 5, 4)
    d.add(stat("Request failures (5m)",
               "Share of probe requests that timed out or found no responder over 5 minutes. Above 5% is the "
               "alert threshold (NatsProbeRequestsFailing).",
               [target(f"nats_probe:request_failure_ratio_5m{{{PROBE}}}", "{{probe}}")],
               "percentunit", steps=("green", (0.01, "yellow"), (0.05, "red")), text_mode="value_and_name"), 5, 4)
    d.add(stat("Probe connected",
               "Whether each probe's NATS connection is up. A probe that cannot connect means clients using the "
               "same URL, credentials and TLS cannot either (NatsProbeDisconnected).",
               [target(f"nats_probe_connected{{{PROBE}}}", "{{probe}}")], "none",
               steps=("red", (1, "green")), text_mode="value_and_name",
               mappings=[{"type": "value", "options": {"0": {"text": "DOWN", "color": "red"},
                                                        "1": {"text": "up", "color": "green"}}}]), 5, 4)
    d.add(stat("Probe reconnects in range",
               "Reconnects of the probe's connections in the selected range. Each is a window in which clients "
               "saw errors or buffered messages; line them up with the latency graphs.",
               [target(f"sum(increase(nats_probe_reconnects_total{{{PROBE}}}[$__range]))", "reconnects")],
               "short", steps=("green", (1, "orange")), decimals=0), 4, 4)
    d.add(stat("Largest consumer backlog",
               "The largest number of messages any selected JetStream consumer has not yet delivered. See the "
               "consumer backlog row for which one and whether it grows.",
               [target(f"max({by_consumer} (nats_jetstream_consumer_pending_messages{{{jsc}}}))", "pending")],
               "short", steps=("green", (1000, "orange"))), 5, 4)
    d.add(table("Latency doctor findings",
                "The latency doctor's checks (missing queue groups, slow consumers, pending near the limit, growing "
                "consumer backlogs, wildcard-heavy interest, high client RTT, weak TLS, a slow or failing probe, "
                "reconnect storms, server limits) with the number of objects each finding affects, findings first; "
                "0 = the check passes. Open /doctor on the exporter for the evidence and the remedy "
                "(NatsDoctorCriticalFinding, NatsDoctorWarningFinding).",
                [target('sort_desc(max by (check, severity, server_name) (nats_doctor_finding{job=~"$job"}))')],
                "short", rename={"Value": "affected", "server_name": "server"}, sort_by="affected"), 24, 7)

    d.row("Request latency")
    d.add(heatmap("Request latency distribution",
                  "Every probe request's round trip, by histogram bucket, per interval. A healthy server is a thin "
                  "band in the lowest buckets; a second band higher up is a bimodal latency (GC pauses, a slow "
                  "route, some requests crossing a gateway). Select one probe to read one path.",
                  f"sum by (le) (increase(nats_probe_request_duration_seconds_bucket{{{PROBE}}}[$__rate_interval]))"),
          12, 9)
    d.add(timeseries("Request latency p50 / p99 / p99.9",
                     "Quantiles of the probe's request/reply round trip over 5-minute windows (recording rules "
                     "nats_probe:request_duration_seconds:*), log scale. p50 rising: everything is slower (CPU, "
                     "network). Only p99/p99.9 rising: some requests wait (queueing, slow consumers, GC, routes).",
                     [target(f"nats_probe:request_duration_seconds:p50_5m{{{PROBE}}}", "{{probe}} p50 {{instance}}"),
                      target(f"nats_probe:request_duration_seconds:p99_5m{{{PROBE}}}", "{{probe}} p99 {{instance}}"),
                      target(f"nats_probe:request_duration_seconds:p999_5m{{{PROBE}}}", "{{probe}} p99.9 {{instance}}")],
                     "s", log=True, minimum=None), 12, 9)
    d.add(timeseries("Request results",
                     "Probe requests per second by result: ok, timeout (no reply in time: overloaded responder, "
                     "partition), no_responders (nobody subscribes: the service is down), error (not connected).",
                     [target(f"sum by (probe, result) (rate(nats_probe_requests_total{{{PROBE}}}[$__rate_interval]))",
                             "{{probe}} {{result}}")],
                     "reqps", stack=True,
                     overrides=[{"matcher": {"id": "byRegexp", "options": f".* {r}$"},
                                 "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": c}}]}
                                for r, c in (("ok", "green"), ("timeout", "red"), ("no_responders", "orange"),
                                             ("error", "purple"))]), 8, 8)
    d.add(timeseries("Round-trip time (PING/PONG)",
                     "The probe connection's PING/PONG round trip, and the highest client RTT each server measured. "
                     "RTT high too: network or server protocol path. RTT flat while request latency rises: request "
                     "handling (the responder, queueing).",
                     [target(f"nats_probe_rtt_seconds{{{PROBE}}}", "{{probe}} {{instance}}"),
                      target(f"max by (server_name) (nats_connz_max_rtt_seconds{{{SRV}}})", "max client RTT {{server_name}}")],
                     "s"), 8, 8)
    d.add(timeseries("Reconnects, disconnects and client errors",
                     "Probe connection losses, reconnects and asynchronous client errors (slow_consumer, "
                     "permission_violation) per interval. Bursts line up with server restarts, lame duck mode or "
                     "network trouble (NatsProbeReconnecting).",
                     [target(f"sum by (probe) (increase(nats_probe_disconnects_total{{{PROBE}}}[$__rate_interval]))",
                             "{{probe}} disconnects"),
                      target(f"sum by (probe) (increase(nats_probe_reconnects_total{{{PROBE}}}[$__rate_interval]))",
                             "{{probe}} reconnects"),
                      target(f"sum by (probe, kind) (increase(nats_probe_async_errors_total{{{PROBE}}}[$__rate_interval]))",
                             "{{probe}} {{kind}}")],
                     "short", bars=True), 8, 8)

    d.row("JetStream publish")
    d.add(heatmap("JetStream publish latency distribution",
                  "Every probe JetStream publish, from publish to acknowledgement, by bucket. A band moving up is "
                  "storage or replication getting slower.",
                  f"sum by (le) (increase(nats_probe_jetstream_publish_duration_seconds_bucket{{{PROBE}}}[$__rate_interval]))"),
          8, 8)
    d.add(timeseries("JetStream publish latency p50 / p99 / p99.9",
                     "Publish-to-ack time of the JetStream probe over 5-minute windows (recording rules). Rising "
                     "while request latency stays flat points at JetStream (disk, replicas, a leader election) "
                     "rather than core NATS (NatsProbeJetStreamPublishSlow above 250ms p99).",
                     [target(f"nats_probe:jetstream_publish_duration_seconds:p50_5m{{{PROBE}}}", "{{probe}} p50 {{instance}}"),
                      target(f"nats_probe:jetstream_publish_duration_seconds:p99_5m{{{PROBE}}}", "{{probe}} p99 {{instance}}"),
                      target(f"nats_probe:jetstream_publish_duration_seconds:p999_5m{{{PROBE}}}", "{{probe}} p99.9 {{instance}}")],
                     "s", log=True, minimum=None), 8, 8)
    d.add(timeseries("JetStream publish results",
                     "JetStream probe publishes per second by result: ok, timeout (no ack: storage or replication "
                     "stalled, no leader), no_stream (no stream captures the subject), error.",
                     [target(f"sum by (probe, result) (rate(nats_probe_jetstream_publishes_total{{{PROBE}}}[$__rate_interval]))",
                             "{{probe}} {{result}}")],
                     "reqps", stack=True), 8, 8)

    d.row("Connections (server side)")
    d.add(table("Top connections by pending bytes",
                "The client connections with the most bytes buffered by the server now (the exporter keeps the top "
                "N per server). A connection near the server's max_pending is about to be cut off as a slow "
                "consumer; every message to it waits behind that queue (NatsConnectionPendingBytesHigh).",
                [target(f"topk(10, nats_connz_connection_pending_bytes{{{SRV}}})")],
                "bytes", rename={"Value": "pending", "server_name": "server"}, sort_by="pending"), 12, 8)
    d.add(table("Top connections by RTT",
                "The client connections with the highest RTT the server measured. A high RTT is a remote or "
                "overloaded client (or one whose host is starved of CPU): its requests are slow whatever NATS does.",
                [target(f"topk(10, nats_connz_connection_rtt_seconds{{{SRV}}})")],
                "s", rename={"Value": "rtt", "server_name": "server"}, sort_by="rtt"), 12, 8)
    d.add(timeseries("Pending bytes of the top connections",
                     "Bytes buffered per client connection over time, for the connections the exporter reports. A "
                     "sawtooth that reaches the top is a client repeatedly falling behind.",
                     [target(f"topk(10, nats_connz_connection_pending_bytes{{{SRV}}})",
                             "{{server_name}} {{name}} cid {{cid}}")],
                     "bytes"), 12, 8)
    d.add(timeseries("Slow consumers",
                     "Slow consumers per interval and server: clients that lost messages or were disconnected "
                     "because they did not read fast enough.",
                     [target(f"sum by (server_name) (increase(nats_server_slow_consumers_total{{{SRV}}}[$__rate_interval]))",
                             "{{server_name}}")],
                     "short", bars=True), 12, 8)

    d.row("Consumer backlog (JetStream, from each consumer's leader)")
    d.add(timeseries("Pending (not yet delivered)",
                     "Messages of the stream not yet delivered to each consumer, as its leader reports them (once "
                     "per consumer, never summed over replicas). Growing = the consumers do not keep up; the "
                     "latency of that work is queueing time (NatsConsumerBacklogGrowing).",
                     [target(f"{by_consumer} (nats_jetstream_consumer_pending_messages{{{jsc}}})",
                             "{{stream}}/{{consumer}}")],
                     "short"), 8, 8)
    d.add(timeseries("Backlog growth",
                     "Slope of each consumer's pending messages over 5 minutes (messages per second). Positive for "
                     "long = a backlog that builds up; negative = it is being worked off.",
                     [target(f"{by_consumer} (deriv(nats_jetstream_consumer_pending_messages{{{jsc}}}[5m]))",
                             "{{stream}}/{{consumer}}")],
                     "mps", minimum=None), 8, 8)
    d.add(timeseries("Ack pending vs max_ack_pending",
                     "Messages delivered and not yet acknowledged (work in progress), against the consumer's "
                     "max_ack_pending (dashed). At the max the server stops delivering: consumers are saturated "
                     "or hanging (NatsConsumerAckPendingAtMax).",
                     [target(f"{by_consumer} (nats_jetstream_consumer_ack_pending_messages{{{jsc}}})",
                             "{{stream}}/{{consumer}}"),
                      target(f"{by_consumer} (nats_jetstream_consumer_max_ack_pending{{{jsc}}})",
                             "{{stream}}/{{consumer}} max")],
                     "short", overrides=[dashed_override(".* max$")]), 8, 8)
    d.add(timeseries("Redelivered",
                     "Unacknowledged messages delivered more than once. Rising: handlers time out (ack_wait too "
                     "short for the work) or fail and get the same messages again, which multiplies the load.",
                     [target(f"{by_consumer} (nats_jetstream_consumer_redelivered_messages{{{jsc}}})",
                             "{{stream}}/{{consumer}}")],
                     "short"), 8, 8)
    d.add(timeseries("Waiting pull requests",
                     "Pull requests waiting at each consumer. 0 with a growing backlog: nobody is pulling (the "
                     "workers are down or stuck). Many waiting with no backlog: idle workers.",
                     [target(f"{by_consumer} (nats_jetstream_consumer_waiting_pulls{{{jsc}}})",
                             "{{stream}}/{{consumer}}")],
                     "short"), 8, 8)
    d.add(timeseries("Watched consumers (probe)",
                     "Pending and ack-pending messages of the consumers a consumer-watch probe reads through the "
                     "JetStream API (the leader answers). Useful where the monitoring port is not reachable.",
                     [target(f'nats_probe_consumer_pending_messages{{job=~"$job", stream=~"$stream", consumer=~"$consumer"}}',
                             "{{stream}}/{{consumer}} pending"),
                      target(f'nats_probe_consumer_ack_pending_messages{{job=~"$job", stream=~"$stream", consumer=~"$consumer"}}',
                             "{{stream}}/{{consumer}} ack pending")],
                     "short"), 8, 8)
    return d


# ---------------------------------------------------------------------------------------------
# JetStream

def jetstream():
    jss = 'job=~"$job", cluster=~"$cluster", account=~"$account", stream=~"$stream"'
    jsc = jss + ', consumer=~"$consumer"'
    acc = 'job=~"$job", cluster=~"$cluster", account=~"$account"'
    d = Dashboard("nats-exporter-jetstream", "NATS JetStream",
                  "JetStream storage against its limits, API load and errors, streams and consumers (one series per "
                  "asset, from its leader) and replication.",
                  [VAR_JOB, VAR_CLUSTER, VAR_SERVER, VAR_ACCOUNT, var_stream(True), VAR_CONSUMER])

    d.row("Storage")
    d.add(bargauge("File storage used",
                   "Share of max_file_store each server's JetStream uses. At 100% the server refuses new messages "
                   "(publishers get errors); orange is the alert threshold, 85% (NatsJetStreamStorageNearLimit).",
                   [target(f"nats_jetstream_storage_bytes{{{SRV}}} / (nats_jetstream_max_storage_bytes{{{SRV}}} > 0)",
                           "{{server_name}}")],
                   "percentunit", steps=("green", (0.85, "orange"), (0.95, "red"))), 6, 8)
    d.add(bargauge("Memory storage used",
                   "Share of max_memory_store each server's JetStream uses; at 100% memory streams refuse new "
                   "messages (NatsJetStreamMemoryNearLimit at 85%).",
                   [target(f"nats_jetstream_memory_bytes{{{SRV}}} / (nats_jetstream_max_memory_bytes{{{SRV}}} > 0)",
                           "{{server_name}}")],
                   "percentunit", steps=("green", (0.85, "orange"), (0.95, "red"))), 6, 8)
    d.add(timeseries("File storage: used, reserved and limit",
                     "File storage used, reserved by accounts, and the limit (dashed) per server. The slope of "
                     "used tells how long until the limit.",
                     [target(f"nats_jetstream_storage_bytes{{{SRV}}}", "{{server_name}} used"),
                      target(f"nats_jetstream_reserved_storage_bytes{{{SRV}}}", "{{server_name}} reserved"),
                      target(f"nats_jetstream_max_storage_bytes{{{SRV}}}", "{{server_name}} limit")],
                     "bytes", overrides=[dashed_override(".* limit$")]), 6, 8)
    d.add(timeseries("Memory storage: used, reserved and limit",
                     "Memory storage used, reserved by accounts, and the limit (dashed) per server.",
                     [target(f"nats_jetstream_memory_bytes{{{SRV}}}", "{{server_name}} used"),
                      target(f"nats_jetstream_reserved_memory_bytes{{{SRV}}}", "{{server_name}} reserved"),
                      target(f"nats_jetstream_max_memory_bytes{{{SRV}}}", "{{server_name}} limit")],
                     "bytes", overrides=[dashed_override(".* limit$")]), 6, 8)
    d.add(timeseries("Storage by account",
                     "JetStream file and memory storage per account (cluster-wide; in a cluster only the meta "
                     "leader reports it, so it is counted once). Which tenant fills the disk.",
                     [target(f"max by (account) (nats_jetstream_account_storage_bytes{{{acc}}})", "{{account}} file"),
                      target(f"max by (account) (nats_jetstream_account_memory_bytes{{{acc}}})", "{{account}} memory")],
                     "bytes"), 12, 8)
    d.add(timeseries("Stream bytes",
                     "Bytes stored per stream (from its leader). A stream growing without bound has no limits "
                     "(max_bytes, max_age) or consumers that never let a work queue drain.",
                     [target(f"max by (cluster, account, stream) (nats_jetstream_stream_bytes{{{jss}}})",
                             "{{account}} {{stream}}")],
                     "bytes"), 12, 8)

    d.row("API")
    d.add(timeseries("API requests",
                     "JetStream API requests per second handled per server (stream and consumer info, create, "
                     "pull requests go elsewhere). A storm of info requests from clients slows the meta leader.",
                     [target(f"sum by (server_name) (rate(nats_jetstream_api_requests_total{{{SRV}}}[$__rate_interval]))",
                             "{{server_name}}")],
                     "reqps"), 8, 8)
    d.add(timeseries("API errors",
                     "JetStream API requests per second answered with an error, and their share of all requests "
                     "(right axis). Errors during a leader election are normal for seconds, not minutes.",
                     [target(f"sum by (server_name) (rate(nats_jetstream_api_errors_total{{{SRV}}}[$__rate_interval]))",
                             "{{server_name}} errors"),
                      target(f"sum by (server_name) (rate(nats_jetstream_api_errors_total{{{SRV}}}[$__rate_interval]))"
                             f" / sum by (server_name) (rate(nats_jetstream_api_requests_total{{{SRV}}}[$__rate_interval]))",
                             "{{server_name}} error ratio")],
                     "reqps", overrides=[{"matcher": {"id": "byRegexp", "options": ".* error ratio$"},
                                          "properties": [{"id": "unit", "value": "percentunit"},
                                                         {"id": "custom.axisPlacement", "value": "right"}]}]), 8, 8)
    d.add(timeseries("API requests by account",
                     "JetStream API requests and errors per second per account (cluster-wide): which application "
                     "makes the load or the failures.",
                     [target(f"sum by (account) (rate(nats_jetstream_account_api_requests_total{{{acc}}}[$__rate_interval]))",
                             "{{account}} requests"),
                      target(f"sum by (account) (rate(nats_jetstream_account_api_errors_total{{{acc}}}[$__rate_interval]))",
                             "{{account}} errors")],
                     "reqps"), 8, 8)

    d.row("Streams and consumers")
    d.add(stat("Stream count",
               "Streams in the selection, each counted once (from its leader).",
               [target(f"count(max by (cluster, account, stream) (nats_jetstream_stream_messages{{{jss}}}))", "streams")],
               "short"), 4, 4)
    d.add(stat("Consumer count",
               "Consumers in the selection, each counted once (from its leader).",
               [target(f"count(max by (cluster, account, stream, consumer) (nats_jetstream_consumer_pending_messages{{{jsc}}}))",
                       "consumers")],
               "short"), 4, 4)
    d.add(stat("Messages stored",
               "Messages stored in the selected streams, each stream counted once.",
               [target(f"sum(max by (cluster, account, stream) (nats_jetstream_stream_messages{{{jss}}}))", "messages")],
               "short"), 4, 4)
    d.add(timeseries("Replicas held per server",
                     "Stream and consumer replicas, and replicated assets (Raft groups), each server holds. A "
                     "server with far more than its peers carries more of the replication load.",
                     [target(f"nats_jetstream_streams{{{SRV}}}", "{{server_name}} streams"),
                      target(f"nats_jetstream_consumers{{{SRV}}}", "{{server_name}} consumers"),
                      target(f"nats_jetstream_ha_assets{{{SRV}}}", "{{server_name}} HA assets")],
                     "short"), 12, 4)
    d.add(table("Streams",
                "One row per stream, from its leader: messages, bytes, consumers and configured replicas. The "
                "server column is the current leader.",
                [target(f"max by (cluster, account, stream, server_name) (nats_jetstream_stream_messages{{{jss}}})"),
                 target(f"max by (cluster, account, stream, server_name) (nats_jetstream_stream_bytes{{{jss}}})"),
                 target(f"max by (cluster, account, stream, server_name) (nats_jetstream_stream_consumers{{{jss}}})"),
                 target(f"max by (cluster, account, stream, server_name) (nats_jetstream_stream_replicas{{{jss}}})")],
                "short", rename={"Value #A": "messages", "Value #B": "bytes", "Value #C": "consumers",
                                 "Value #D": "replicas", "server_name": "leader"},
                value_units={"bytes": "bytes"}, sort_by="messages"), 12, 8)
    d.add(table("Consumers",
                "One row per consumer, from its leader: pending (not delivered), ack pending (delivered, not "
                "acknowledged) against max_ack_pending, redelivered and waiting pull requests.",
                [target(f"max by (cluster, account, stream, consumer, server_name) (nats_jetstream_consumer_pending_messages{{{jsc}}})"),
                 target(f"max by (cluster, account, stream, consumer, server_name) (nats_jetstream_consumer_ack_pending_messages{{{jsc}}})"),
                 target(f"max by (cluster, account, stream, consumer, server_name) (nats_jetstream_consumer_max_ack_pending{{{jsc}}})"),
                 target(f"max by (cluster, account, stream, consumer, server_name) (nats_jetstream_consumer_redelivered_messages{{{jsc}}})"),
                 target(f"max by (cluster, account, stream, consumer, server_name) (nats_jetstream_consumer_waiting_pulls{{{jsc}}})")],
                "short", rename={"Value #A": "pending", "Value #B": "ack pending", "Value #C": "max ack pending",
                                 "Value #D": "redelivered", "Value #E": "waiting pulls", "server_name": "leader"},
                sort_by="pending"), 12, 8)
    d.add(timeseries("Stream messages",
                     "Messages stored per stream (from its leader). A work queue stream that keeps growing means "
                     "its consumers do not keep up.",
                     [target(f"max by (cluster, account, stream) (nats_jetstream_stream_messages{{{jss}}})",
                             "{{account}} {{stream}}")],
                     "short"), 12, 8)
    d.add(timeseries("Stream ingest",
                     "Messages per second appended to each stream (slope of its last sequence). Compare with the "
                     "consumers' delivery to see whether they keep up.",
                     [target(f"max by (cluster, account, stream) (deriv(nats_jetstream_stream_last_seq{{{jss}}}[$__rate_interval]))",
                             "{{account}} {{stream}}")],
                     "mps"), 12, 8)

    d.row("Replication (clustered JetStream)")
    d.add(timeseries("Stream replica lag",
                     "Raft log entries each stream replica is behind its leader, as the leader sees it. Lag that "
                     "does not return to 0 is a follower that cannot keep up (disk, network): with R3 a second "
                     "slow replica stalls every acknowledged publish.",
                     [target(f"max by (cluster, account, stream, replica) (nats_jetstream_stream_replica_lag{{{jss}}})",
                             "{{stream}} → {{replica}}")],
                     "short"), 8, 8)
    d.add(timeseries("Consumer replica lag",
                     "Raft log entries each consumer replica is behind its leader. Lag here delays acknowledgements "
                     "and failover of the consumer.",
                     [target(f"max by (cluster, account, stream, consumer, replica) (nats_jetstream_consumer_replica_lag{{{jsc}}})",
                             "{{stream}}/{{consumer}} → {{replica}}")],
                     "short"), 8, 8)
    d.add(timeseries("Replicas not current",
                     "Stream replicas the leader does not consider current, per stream. Anything above 0 for more "
                     "than a moment: the stream runs with less redundancy than configured.",
                     [target(f"sum by (cluster, account, stream) (1 - nats_jetstream_stream_replica_current{{{jss}}})",
                             "{{stream}}")],
                     "short"), 8, 8)
    d.add(timeseries("Replica last seen",
                     "Seconds since each stream's leader last heard from each replica. Climbing: the replica's "
                     "server is gone or partitioned.",
                     [target(f"max by (cluster, account, stream, replica) (nats_jetstream_stream_replica_active_seconds{{{jss}}})",
                             "{{stream}} → {{replica}}")],
                     "s"), 12, 8)
    d.add(timeseries("Meta group",
                     "Size of the JetStream meta group and which server leads it (1). Leadership that moves "
                     "often means elections, during which the JetStream API answers slowly or with errors.",
                     [target(f"nats_jetstream_meta_cluster_size{{{SRV}}}", "{{server_name}} meta group size"),
                      target(f"nats_jetstream_meta_leader{{{SRV}}}", "{{server_name}} is leader")],
                     "short"), 12, 8)
    return d


# ---------------------------------------------------------------------------------------------
# NATS services: service latency tracking and JetStream events (observations, docs/observations.md)

VAR_OBSERVATION = var_query("observation", "Observation", 'label_values(nats_observation_connected{job=~"$job"}, observation)',
                            "Observation of nats-exporter (config key observations:).")
VAR_SERVICE = var_query("service", "Service",
                        'label_values(nats_service_latency_messages_total{job=~"$job", observation=~"$observation"}, service)',
                        "Exported service, named by its latency subject (label service).")

PARTS = (("requestor_rtt", "client RTT"), ("system", "NATS between servers"), ("responder_rtt", "service RTT"),
         ("service", "service processing"))


def services():
    svc = 'job=~"$job", observation=~"$observation", service=~"$service"'
    obs = 'job=~"$job", observation=~"$observation"'
    d = Dashboard("nats-exporter-services", "NATS services: is it NATS?",
                  "Your services' real requests as the NATS server measured them (service latency tracking): the "
                  "parts of each request (client RTT, NATS between servers, service RTT, service processing), "
                  "the NATS share, statuses; and JetStream ack times and advisories. Needs observations: in the "
                  "exporter config (docs/observations.md).",
                  [VAR_JOB, VAR_CLUSTER, VAR_SERVER, VAR_OBSERVATION, VAR_SERVICE])

    d.row("Is it NATS?")
    d.add(stat("Service p99",
               "99th percentile of each service's successful requests over 5 minutes, as the server measured them "
               "(nats_service_latency:seconds:p99_5m). Failed requests (503, 504, 408) are not in it.",
               [target(f"nats_service_latency:seconds:p99_5m{{{svc}}}", "{{service}}")],
               "s", steps=("green", (0.05, "orange"), (0.1, "red"))), 8, 6)
    d.add(bargauge("NATS share of the p99",
                   "The NATS part (requestor RTT + responder RTT + system) of each service's p99: its quantile over "
                   "the total's quantile. At or above 50% NATS is the cause (NatsServiceLatencyHighNats), below it "
                   "the service's own processing is (NatsServiceLatencyHighService).",
                   [target(f"nats_service_latency:nats_share:p99_5m{{{svc}}}", "{{service}}")],
                   "percentunit", steps=("green", (0.5, "orange")), maximum=1), 8, 6)
    d.add(timeseries("NATS share at p50 and p99",
                     "The NATS share of the median and of the p99 over time (dashed: p50). A share that rises "
                     "with the latency points at the network or the servers, a falling one at the service.",
                     [target(f"nats_service_latency:nats_share:p99_5m{{{svc}}}", "{{service}} p99"),
                      target(f"nats_service_latency:nats_share:p50_5m{{{svc}}}", "{{service}} p50")],
                     "percentunit", overrides=[dashed_override(".* p50")]), 8, 6)

    d.row("Where the time goes")
    for q, label in (("0.5", "p50"), ("0.99", "p99")):
        d.add(timeseries(f"Parts of the {label} (stacked)",
                         f"The {label} of each part of the successful requests, stacked: client RTT (requestor to its "
                         "server), NATS between servers (system: routes, gateways), service RTT (responder to its "
                         "server) and the service's processing. Quantiles of the parts do not add up exactly to the "
                         "quantile of the total (a slow request need not be slow in every part), but the biggest "
                         "band is where the time goes.",
                         [target(f"histogram_quantile({q}, sum by (job, instance, observation, service, le) "
                                 f"(rate(nats_service_latency_{part}_seconds_bucket{{{svc}}}[$__rate_interval])))",
                                 f"{{{{service}}}} {name}") for part, name in PARTS],
                         "s", stack=True), 12, 8)
    d.add(timeseries("Total p50 and p99",
                     "Each service's median and p99 over 5 minutes (recording rules; dashed: p50), with its NATS "
                     "part's p99 for comparison.",
                     [target(f"nats_service_latency:seconds:p99_5m{{{svc}}}", "{{service}} p99"),
                      target(f"nats_service_latency:seconds:p50_5m{{{svc}}}", "{{service}} p50"),
                      target(f"nats_service_latency:nats_seconds:p99_5m{{{svc}}}", "{{service}} NATS part p99")],
                     "s", overrides=[dashed_override(".* p50")]), 12, 8)
    d.add(timeseries("p99 by responder",
                     "The p99 of each service per responder connection name (at most max_responders per service, "
                     "the rest as \"other\"): one slow instance stands out here.",
                     [target("histogram_quantile(0.99, sum by (job, instance, observation, service, responder, le) "
                             f"(rate(nats_service_latency_seconds_bucket{{{svc}}}[$__rate_interval])))",
                             "{{service}} {{responder}}")],
                     "s"), 12, 8)

    d.row("Statuses")
    d.add(timeseries("Requests by status",
                     "Service latency messages per second by status: 200 ok, 503 no responder, 504 reply later "
                     "than the export threshold (dropped), 408 the requestor went away, 400 bad request. Only 200s "
                     "feed the latency histograms.",
                     [target(f"sum by (service, status) (rate(nats_service_latency_messages_total{{{svc}}}[$__rate_interval]))",
                             "{{service}} {{status}}")],
                     "reqps", stack=True), 12, 8)
    d.add(timeseries("Failures: 503, 504, 408, 400",
                     "Failed requests per second by status (the doctor's service-unavailable and service-timeouts "
                     "checks read the same counters).",
                     [target(f"sum by (service, status) (rate(nats_service_latency_messages_total{{{svc}, status!=\"200\"}}[$__rate_interval]))",
                             "{{service}} {{status}}")],
                     "reqps"), 12, 8)

    d.row("JetStream: ack sampling and advisories")
    d.add(timeseries("Ack time per consumer",
                     "Time from a message's latest delivery to its ack, p99 and p50 (dashed), for consumers with "
                     "sample_freq and ack_policy explicit (per stream and consumer, at most max_consumers, the rest "
                     "as \"other\").",
                     [target("histogram_quantile(0.99, sum by (job, instance, observation, stream, consumer, le) "
                             f"(rate(nats_jetstream_ack_time_seconds_bucket{{{obs}}}[$__rate_interval])))",
                             "{{stream}}/{{consumer}} p99"),
                      target("histogram_quantile(0.5, sum by (job, instance, observation, stream, consumer, le) "
                             f"(rate(nats_jetstream_ack_time_seconds_bucket{{{obs}}}[$__rate_interval])))",
                             "{{stream}}/{{consumer}} p50")],
                     "s", overrides=[dashed_override(".* p50")]), 12, 8)
    d.add(timeseries("NAKs, terminations, max deliveries",
                     "Per consumer, per second: messages negatively acknowledged (NAK: redelivered later), "
                     "terminated (AckTerm) and given up on after max_deliver (NatsJetStreamMaxDeliveriesExceeded).",
                     [target(f"sum by (stream, consumer) (rate(nats_jetstream_naks_total{{{obs}}}[$__rate_interval]))",
                             "{{stream}}/{{consumer}} NAK"),
                      target(f"sum by (stream, consumer) (rate(nats_jetstream_terminations_total{{{obs}}}[$__rate_interval]))",
                             "{{stream}}/{{consumer}} terminated"),
                      target(f"sum by (stream, consumer) (rate(nats_jetstream_max_deliveries_exceeded_total{{{obs}}}[$__rate_interval]))",
                             "{{stream}}/{{consumer}} max deliveries")],
                     "ops"), 12, 8)
    d.add(timeseries("Advisories by kind",
                     "JetStream advisories per second by kind (api, nak, terminated, max_deliveries, leader_elected, "
                     "quorum_lost, other: created/deleted/snapshots, unknown: types of a newer server).",
                     [target(f"sum by (kind) (rate(nats_jetstream_advisories_total{{{obs}}}[$__rate_interval]))", "{{kind}}")],
                     "ops", stack=True), 8, 8)
    d.add(timeseries("API errors by API",
                     "JetStream API requests answered with an error, per second, by API subject with stream and "
                     "consumer names folded out (NatsJetStreamApiErrors).",
                     [target(f"sum by (api) (rate(nats_jetstream_api_audit_errors_total{{{obs}}}[$__rate_interval]))", "{{api}}")],
                     "ops"), 8, 8)
    d.add(timeseries("Leader elections and quorum losses",
                     "Stream and consumer leader elections and quorum losses in each interval. During an election "
                     "the asset does not answer; a quorum loss stops it until enough replicas return.",
                     [target(f"sum by (target) (increase(nats_jetstream_leader_elections_total{{{obs}}}[$__rate_interval]))",
                             "{{target}} leader elected"),
                      target(f"sum by (target) (increase(nats_jetstream_quorum_losses_total{{{obs}}}[$__rate_interval]))",
                             "{{target}} quorum lost")],
                     "short", bars=True), 8, 8)

    d.row("Observations")
    d.add(stat("Connected",
               "1 when the observation's NATS connection is up. A 0 that stays: wrong credentials or an unreachable "
               "server (the exporter's log says which).",
               [target(f"nats_observation_connected{{{obs}}}", "{{observation}}")],
               "short", steps=("red", (1, "green"))), 8, 6)
    d.add(timeseries("Messages received and parse errors",
                     "Messages each observation receives per second, and those it could not parse (a schema this "
                     "exporter does not know: nats_observation_parse_errors_total).",
                     [target(f"sum by (observation) (rate(nats_observation_messages_total{{{obs}}}[$__rate_interval]))",
                             "{{observation}} received"),
                      target(f"sum by (observation) (rate(nats_observation_parse_errors_total{{{obs}}}[$__rate_interval]))",
                             "{{observation}} parse errors")],
                     "mps"), 16, 6)
    return d


DASHBOARDS = {"nats-overview.json": overview, "nats-latency.json": latency, "nats-jetstream.json": jetstream,
              "nats-services.json": services}


def render(build):
    return json.dumps(build().json(), indent=2, ensure_ascii=False) + "\n"


def main(argv):
    check = "--check" in argv
    stale = []
    for name, build in DASHBOARDS.items():
        path = os.path.join(HERE, name)
        text = render(build)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if stale:
        print("out of date (run python3 dashboards/grafana/generate.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
