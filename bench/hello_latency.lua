-- hello_latency.lua — wrk script for the hello-world reference: prints the
-- same machine-readable summary as signup.lua (no request changes).

function done(summary, latency, requests)
   io.write(string.format("p50_us %d\n", latency:percentile(50)))
   io.write(string.format("p99_us %d\n", latency:percentile(99)))
   io.write(string.format("requests %d\n", summary.requests))
   io.write(string.format("seconds %.3f\n", summary.duration / 1e6))
end
