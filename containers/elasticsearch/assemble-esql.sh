#!/bin/sh
# Lays out Elastic's ES|QL plugins (Maven Central jars in $1) as modules of the distribution in $2.
# Each module gets the descriptor its plugin jar carries and the jars its build record
# (plugin-test-build-info.json) names; extended plugins the distribution lacks are dropped from the
# descriptor, and a named jar that Maven Central does not serve is reported. See docs/esql.md.
set -eu
jars=$1
home=$2
for plugin in x-pack-esql-core x-pack-esql; do
  main=$(ls "$jars/$plugin"-[0-9]*.jar)
  dir=$home/modules/$plugin
  mkdir -p "$dir"
  unzip -p "$main" "META-INF/es-plugins/$plugin/plugin-descriptor.properties" >"$dir/plugin-descriptor.properties"
  kept=""
  for extended in $(sed -n 's/^extended\.plugins=//p' "$dir/plugin-descriptor.properties" | tr ',' ' '); do
    if [ -d "$home/modules/$extended" ]; then
      kept=${kept:+$kept,}$extended
    else
      echo "assemble-esql: $plugin extends $extended, which is not published: dropped" >&2
    fi
  done
  sed -i "s/^extended\.plugins=.*/extended.plugins=$kept/" "$dir/plugin-descriptor.properties"
  for class in $(unzip -p "$main" META-INF/plugin-test-build-info.json | sed -n 's/.*"representative_class" *: *"\([^"]*\)".*/\1/p'); do
    found=""
    for jar in "$jars"/*.jar; do
      if unzip -l "$jar" "$class" >/dev/null 2>&1; then found=$jar; break; fi
    done
    if [ -n "$found" ]; then
      cp "$found" "$dir/"
    else
      echo "assemble-esql: no published jar has $class, which $plugin bundles: left out" >&2
    fi
  done
done
