/**
 * Fixtures in the shape gmond 3.x writes on its TCP port (the DTD prologue trimmed to a few declarations, the
 * default metric set of a Linux gmond, a host spoofed with `gmetric --spoof "10.0.0.1:h1"`), gmetad's grid
 * form, node_exporter's /metrics and rrdtool fetch output.
 */

export const GMOND_XML = `<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>
<!DOCTYPE GANGLIA_XML [
   <!ELEMENT GANGLIA_XML (GRID|CLUSTER|HOST)*>
      <!ATTLIST GANGLIA_XML VERSION CDATA #REQUIRED>
      <!ATTLIST GANGLIA_XML SOURCE CDATA #REQUIRED>
   <!ELEMENT HOST (METRIC)*>
      <!ATTLIST HOST NAME CDATA #REQUIRED>
      <!ATTLIST HOST IP CDATA #REQUIRED>
   <!ELEMENT METRIC (EXTRA_DATA*)>
      <!ATTLIST METRIC TYPE (string | int8 | uint8 | int16 | uint16 | int32 | uint32 | float | double | timestamp) #REQUIRED>
      <!ATTLIST METRIC SLOPE (zero | positive | negative | both | unspecified) #IMPLIED>
      <!ATTLIST METRIC SOURCE (gmond) 'gmond'>
   <!ELEMENT EXTRA_ELEMENT EMPTY>
]>
<GANGLIA_XML VERSION="3.7.2" SOURCE="gmond">
<CLUSTER NAME="unspecified" LOCALTIME="1764921600" OWNER="unspecified" LATLONG="unspecified" URL="unspecified">
<HOST NAME="node1.lab.example" IP="192.168.1.10" TAGS="" REPORTED="1764921595" TN="5" TMAX="20" DMAX="0" LOCATION="rack1" GMOND_STARTED="1764900000">
<METRIC NAME="load_one" VAL="0.52" TYPE="float" UNITS=" " TN="10" TMAX="70" DMAX="0" SLOPE="both" SOURCE="gmond">
<EXTRA_DATA>
<EXTRA_ELEMENT NAME="GROUP" VAL="load"/>
<EXTRA_ELEMENT NAME="DESC" VAL="One minute load average"/>
<EXTRA_ELEMENT NAME="TITLE" VAL="One Minute Load Average"/>
</EXTRA_DATA>
</METRIC>
<METRIC NAME="load_five" VAL="0.40" TYPE="float" UNITS=" " TN="10" TMAX="325" DMAX="0" SLOPE="both" SOURCE="gmond"/>
<METRIC NAME="cpu_user" VAL="3.1" TYPE="float" UNITS="%" TN="10" TMAX="90" DMAX="0" SLOPE="both" SOURCE="gmond"/>
<METRIC NAME="cpu_idle" VAL="95.2" TYPE="float" UNITS="%" TN="10" TMAX="90" DMAX="0" SLOPE="both" SOURCE="gmond"/>
<METRIC NAME="mem_free" VAL="1843200" TYPE="float" UNITS="KB" TN="20" TMAX="180" DMAX="0" SLOPE="both" SOURCE="gmond"/>
<METRIC NAME="mem_total" VAL="8053064" TYPE="float" UNITS="KB" TN="20" TMAX="1200" DMAX="0" SLOPE="zero" SOURCE="gmond"/>
<METRIC NAME="disk_free" VAL="41.235" TYPE="double" UNITS="GB" TN="30" TMAX="180" DMAX="0" SLOPE="both" SOURCE="gmond"/>
<METRIC NAME="bytes_in" VAL="1532.47" TYPE="float" UNITS="bytes/sec" TN="5" TMAX="300" DMAX="0" SLOPE="both" SOURCE="gmond"/>
<METRIC NAME="bytes_out" VAL="2048.00" TYPE="float" UNITS="bytes/sec" TN="5" TMAX="300" DMAX="0" SLOPE="both" SOURCE="gmond"/>
<METRIC NAME="pkts_in" VAL="12.30" TYPE="float" UNITS="packets/sec" TN="5" TMAX="300" DMAX="0" SLOPE="both" SOURCE="gmond"/>
<METRIC NAME="pkts_out" VAL="10.90" TYPE="float" UNITS="packets/sec" TN="5" TMAX="300" DMAX="0" SLOPE="both" SOURCE="gmond"/>
<METRIC NAME="proc_run" VAL="2" TYPE="uint32" UNITS=" " TN="10" TMAX="950" DMAX="0" SLOPE="both" SOURCE="gmond"/>
<METRIC NAME="cpu_num" VAL="4" TYPE="uint16" UNITS="CPUs" TN="40" TMAX="1200" DMAX="0" SLOPE="zero" SOURCE="gmond"/>
<METRIC NAME="boottime" VAL="1764800000" TYPE="uint32" UNITS="s" TN="40" TMAX="1200" DMAX="0" SLOPE="zero" SOURCE="gmond"/>
<METRIC NAME="os_name" VAL="Linux" TYPE="string" UNITS="" TN="40" TMAX="1200" DMAX="0" SLOPE="zero" SOURCE="gmond"/>
<METRIC NAME="machine_type" VAL="x86_64" TYPE="string" UNITS="" TN="40" TMAX="1200" DMAX="0" SLOPE="zero" SOURCE="gmond"/>
<METRIC NAME="old_metric" VAL="7" TYPE="int32" UNITS="" TN="400" TMAX="60" DMAX="0" SLOPE="both" SOURCE="gmond"/>
</HOST>
<HOST NAME="h1" IP="10.0.0.1" TAGS="" REPORTED="1764921598" TN="2" TMAX="20" DMAX="0" LOCATION="unspecified" GMOND_STARTED="0">
<METRIC NAME="bytes_out" VAL="2500000" TYPE="double" UNITS="bytes/sec" TN="2" TMAX="60" DMAX="0" SLOPE="both" SOURCE="gmetric">
<EXTRA_DATA>
<EXTRA_ELEMENT NAME="SPOOF_HOST" VAL="10.0.0.1:h1"/>
</EXTRA_DATA>
</METRIC>
</HOST>
</CLUSTER>
</GANGLIA_XML>
`;

export const GMETAD_XML = `<?xml version="1.0" encoding="ISO-8859-1" standalone="yes"?>
<GANGLIA_XML VERSION="3.7.2" SOURCE="gmetad">
<GRID NAME="lab &amp; co" AUTHORITY="http://gmetad.example/ganglia/" LOCALTIME="1764921600">
<CLUSTER NAME="web" LOCALTIME="1764921600" OWNER="ops" LATLONG="unspecified" URL="unspecified">
<HOST NAME="web1" IP="10.1.0.1" REPORTED="1764921590" TN="10" TMAX="20" DMAX="0" LOCATION="unspecified" GMOND_STARTED="1764900000">
<METRIC NAME="load_one" VAL="3.5" TYPE="float" UNITS=" " TN="10" TMAX="70" DMAX="0" SLOPE="both" SOURCE="gmond"/>
</HOST>
</CLUSTER>
<GRID NAME="inner" AUTHORITY="http://inner/" LOCALTIME="1764921600">
<CLUSTER NAME="db" LOCALTIME="1764921601">
<HOSTS UP="1" DOWN="0" SOURCE="gmetad"/>
<METRICS NAME="load_one" SUM="0.20" NUM="1" TYPE="float" UNITS=" " SLOPE="both" SOURCE="gmond"/>
<HOST NAME="db1" IP="10.2.0.1" REPORTED="1764921601" TN="0" TMAX="20" DMAX="0" LOCATION="unspecified" GMOND_STARTED="0">
<METRIC NAME="load_one" VAL="0.20" TYPE="float" UNITS=" " TN="1" TMAX="70" DMAX="0" SLOPE="both" SOURCE="gmond"/>
</HOST>
</CLUSTER>
</GRID>
</GRID>
</GANGLIA_XML>
`;

export const NODE_EXPORTER = `# HELP node_load1 1m load average.
# TYPE node_load1 gauge
node_load1 0.52
# HELP node_network_transmit_bytes_total Network device statistic transmit_bytes.
# TYPE node_network_transmit_bytes_total counter
node_network_transmit_bytes_total{device="eth0"} 1.234567e+09
node_network_transmit_bytes_total{device="lo"} 4.2e+06
# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.
# TYPE node_filesystem_avail_bytes gauge
node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 4.4276e+10
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
# A plain comment
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
metric_without_timestamp_and_labels 12.47
something_weird{problem="division by zero"} +Inf -3982045
node_scrape_nan NaN
`;

export const RRD_FETCH = `                          sum

1764921540: 1.2000000000e+00
1764921555: 1.5000000000e+00
1764921570: -nan
1764921585: 2.1000000000e+00
1764921600: nan
`;
