"""orderflow's Grafana dashboards, built as code (grafana-foundation-sdk) into dashboards/json/."""
