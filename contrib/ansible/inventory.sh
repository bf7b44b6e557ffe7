#!/bin/sh
# Ansible dynamic inventory from inventory-api:
#   ansible-inventory -i contrib/ansible/inventory.sh --graph
#   ansible all -i contrib/ansible/inventory.sh -m ping
# Settings, from the environment:
#   INVENTORY_URL     the API's base URL (default http://127.0.0.1:5000)
#   INVENTORY_TOKEN   a read token, if the API requires one for reads (INVENTORY_AUTH_READS=true)
#   INVENTORY_QUERY   list filters, as a query string: "environment=production&tag=pci"
set -eu

url="${INVENTORY_URL:-http://127.0.0.1:5000}/api/v1/integrations/ansible"
if [ -n "${INVENTORY_QUERY:-}" ]; then
  url="$url?$INVENTORY_QUERY"
fi

case "${1:-}" in
  --list)
    if [ -n "${INVENTORY_TOKEN:-}" ]; then
      # The header goes through standard input, so the token never shows in the process list.
      printf 'Authorization: Bearer %s\n' "$INVENTORY_TOKEN" | exec curl -fsS --max-time 60 -H @- "$url"
    else
      exec curl -fsS --max-time 60 "$url"
    fi
    ;;
  --host)
    # Every host's variables come with --list, in _meta.hostvars.
    echo '{}'
    ;;
  *)
    echo "usage: $0 --list | --host HOST" >&2
    exit 2
    ;;
esac
