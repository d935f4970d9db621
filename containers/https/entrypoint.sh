#!/bin/sh
# Makes this lab's CA and a server certificate it signs for the target's name and lab address
# (SCANPROOF_NAME, SCANPROOF_ADDRESS), then serves TLS. SCANPROOF_PORT_443 moves the listener.
set -eu
tls=/etc/scanproof/tls
mkdir -p "$tls"
cd "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj "/O=scanproof lab/CN=scanproof lab CA" -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -subj "/O=scanproof lab/CN=$SCANPROOF_NAME.lab.example" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:%s.lab.example,DNS:%s,IP:%s\nextendedKeyUsage=serverAuth\n' \
  "$SCANPROOF_NAME" "$SCANPROOF_NAME" "$SCANPROOF_ADDRESS" > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
  -extfile server.ext -out server.crt 2>/dev/null
rm -f ca.key server.csr
cp ca.crt /var/log/scanproof/ca.crt
sed -i "s/PORT_443/${SCANPROOF_PORT_443:-443}/" /etc/nginx/nginx.conf
exec nginx -g "daemon off;"
