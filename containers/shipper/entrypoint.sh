#!/bin/sh
# Writes the Elasticsearch action of rsyslog.d/00-common.conf from the environment (where to ship)
# and the files the harness copies into /run/secrets/scanproof (CA, username, password: never in
# the environment), then refuses to start on a configuration rsyslog cannot load (it would
# otherwise run and ship nothing).
set -eu
secrets=/run/secrets/scanproof
tls=""
if [ "${SCANPROOF_ES_HTTPS:-off}" = on ]; then
  tls="usehttps=\"on\" tls.cacert=\"$secrets/es-ca.pem\""
fi
auth=""
if [ -f "$secrets/es-username" ]; then
  auth="uid=\`cat $secrets/es-username\` pwd=\`cat $secrets/es-password\`"
fi
mkdir -p /run/scanproof-shipper
cat > /run/scanproof-shipper/elasticsearch-action.conf <<CONF
action(type="omelasticsearch" template="scanproof-ecs"
       server=\`echo \$SCANPROOF_ES_HOST\` serverport=\`echo \$SCANPROOF_ES_PORT\` $tls $auth
       dynSearchIndex="on" searchIndex="scanproof-index" dynbulkid="on" bulkid="scanproof-id"
       bulkmode="on" esVersion.major="8" maxbytes="10m"
       retryfailures="on" retryruleset="scanproof_ship" ratelimit.interval="0"
       queue.type="LinkedList" queue.size="200000" queue.filename="es-queue" queue.saveOnShutdown="on"
       queue.dequeueBatchSize="1000" action.resumeRetryCount="-1" action.resumeInterval="1"
       errorFile="/var/spool/rsyslog/es-errors.json")
CONF
rsyslogd -N1 -f /etc/rsyslog.conf
echo "scanproof-shipper: configuration valid, starting"
exec rsyslogd -n -f /etc/rsyslog.conf
