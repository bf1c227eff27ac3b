// Estimates Pi as Spark's examples/src/main/scala/org/apache/spark/examples/SparkPi.scala does,
// compiled by the test (the pyspark package ships no spark-examples jar). Source that compiles
// unchanged with Scala 2.12 (Spark 3.5) and 2.13 (Spark 4).
package org.apache.spark.examples

import org.apache.spark.sql.SparkSession

object SparkPi {
  def main(args: Array[String]): Unit = {
    val spark = SparkSession.builder().appName("Spark Pi").getOrCreate()
    val slices = if (args.length > 0) args(0).toInt else 2
    val n = math.min(100000L * slices, Int.MaxValue).toInt
    val count = spark.sparkContext
      .parallelize(1 until n, slices)
      .map { _ =>
        val x = scala.util.Random.nextDouble() * 2 - 1
        val y = scala.util.Random.nextDouble() * 2 - 1
        if (x * x + y * y <= 1) 1 else 0
      }
      .reduce(_ + _)
    println(s"Pi is roughly ${4.0 * count / (n - 1)}")
    spark.stop()
  }
}
