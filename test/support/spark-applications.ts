/**
 * SparkApplication specs the driver tests share: kubeflow's SparkPi (Scala, Spark 3.5) and
 * pi.py (PySpark, Spark 4.1), parsed with the real schema so kubeflow's defaults apply.
 */
import {
  parseSparkApplicationSpec,
  type SparkApplicationSpec,
} from "../../hooks/spark-application/schema.js";

export function sparkApplicationSpec(raw: unknown): SparkApplicationSpec {
  const parsed = parseSparkApplicationSpec(raw);
  if (!parsed.ok) throw new Error(parsed.errors.join("; "));
  return parsed.spec;
}

export const SCALA_PI = sparkApplicationSpec({
  type: "Scala",
  sparkVersion: "3.5.3",
  image: "apache/spark:3.5.3",
  mainClass: "org.apache.spark.examples.SparkPi",
  mainApplicationFile: "local:///opt/spark/examples/jars/spark-examples.jar",
  arguments: ["1000"],
  driver: { cores: 1, coreLimit: "1200m", memory: "512m", serviceAccount: "spark-driver" },
  executor: { cores: 1, instances: 2, memory: "512m" },
});

export const PYSPARK_PI = sparkApplicationSpec({
  type: "Python",
  sparkVersion: "4.1.2",
  mainApplicationFile: "local:///opt/spark/examples/src/main/python/pi.py",
  arguments: ["10"],
  driver: { memory: "2g" },
  executor: {},
});
